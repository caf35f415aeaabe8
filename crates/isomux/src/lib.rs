//! Wiring shared by the `isomux` binary, the desktop shell and the end-to-end tests: open the
//! data dir, restore the office with the backends, bind the listener and serve.

pub mod app;
pub mod doctor;
