//! AWS MSK IAM tokens: not built yet.

use std::time::Duration;

use super::oauth::Token;
use crate::config::MskIamSettings;

pub fn token(_m: &MskIamSettings, _timeout: Duration) -> Result<Token, String> {
    Err("sasl_mechanism = \"AWS_MSK_IAM\" is not yet supported".to_string())
}
