//! ns-federate: trade a Namespace identity for short-lived AWS credentials
//! (and, later, AWS credentials for a Namespace token), with no long-lived keys.
//!
//! Data flows one way: [`config`] → [`namespace`] / [`aws`] → [`flows`] → [`sinks`].

pub mod aws;
pub mod cli;
pub mod config;
pub mod env;
pub mod error;
pub mod flows;
pub mod logging;
pub mod namespace;
pub mod preflight;
pub mod secrets;
pub mod sinks;
pub mod timestamp;

pub use error::Error;
