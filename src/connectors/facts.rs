//! What a connector audit learned besides findings, for the `audit` block of the report.
//! Data only, below the report model.

use super::requirements::Requirement;
use super::{Kind, http_probe, online};
use serde::Serialize;

/// What the connector audit adds to the `audit` block of the JSON report.
#[derive(Clone, Debug, Serialize)]
pub struct ConnectorFacts {
    pub connector: Kind,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub from_domain: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sending_domain: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub region: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub api_endpoint: Option<String>,
    pub requirements: Vec<Requirement>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub http_probe: Option<http_probe::HttpProbeFacts>,
    /// `--online`: the provider's read-only API calls and what they said.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub api: Option<online::ApiFacts>,
}
