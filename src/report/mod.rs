//! Findings, the code catalogue, the report and its renderers.

pub mod baseline;
pub mod catalogue;
pub mod explain;
pub mod finding;
pub mod model;
pub mod render;
pub mod sink;

pub use finding::{Area, CodeInfo, Evidence, Finding, Severity, SeverityContext};
pub use model::{DomainFacts, DomainReport, Report, Summary};
