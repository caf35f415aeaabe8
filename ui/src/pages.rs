//! Whole screens: the office (rooms and desks), one agent's chat, and the screens shown
//! before we are in (connecting, signed out).

pub mod chat;
pub mod office;
pub mod signin;
