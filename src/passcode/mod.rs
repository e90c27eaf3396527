//! The test passcode mail: Logto's template rendering, the message nodemailer would build,
//! and the checks on the templates.

pub mod build;
pub mod codes;
pub mod lint;
pub mod render;
