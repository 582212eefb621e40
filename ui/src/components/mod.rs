//! The UI's components. Each takes the state it shows and callbacks for what
//! it does; none calls the shell except through [`crate::bridge`].

pub mod app;
pub mod composer;
pub mod lobby;
pub mod messages;
pub mod notice;
pub mod qr;
pub mod room;
pub mod settings;
