//! Finding codes raised by this check.

#[allow(unused_imports)]
use crate::report::{Area, CodeInfo, Severity};

pub static ALL: &[&CodeInfo] = &[];
