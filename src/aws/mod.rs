//! AWS: STS `AssumeRoleWithWebIdentity` ([`sts`]) and the IAM trust policy
//! that accepts Namespace ID tokens ([`trust_policy`]).

pub mod cognito;
pub mod sts;
pub mod trust_policy;

use std::fmt;

use secrecy::SecretString;

use crate::timestamp::Timestamp;

/// Temporary AWS credentials. Debug output is redacted.
#[derive(Clone)]
pub struct AwsCredentials {
    /// `AWS_ACCESS_KEY_ID`.
    pub access_key_id: SecretString,
    /// `AWS_SECRET_ACCESS_KEY`.
    pub secret_access_key: SecretString,
    /// `AWS_SESSION_TOKEN`.
    pub session_token: SecretString,
    /// When they stop working.
    pub expiration: Timestamp,
}

impl fmt::Debug for AwsCredentials {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AwsCredentials")
            .field("expiration", &self.expiration)
            .finish_non_exhaustive()
    }
}
