//! The office core.
