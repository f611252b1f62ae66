//! Development tokens, signed with the local key of `deploy/local/dev-keys`.

use std::{path::PathBuf, time::Duration};

use anyhow::Context;
use clap::Subcommand;
use doithoai_runtime::{Role, auth::TokenSigner};

#[derive(Subcommand)]
pub enum DevCommand {
    /// Prints a signed JWT for a unit and roles.
    Token {
        /// Unit code the caller belongs to (it acts inside this unit's subtree).
        #[arg(long)]
        unit: String,
        /// ADMIN, OFFICE, HOST, SECRETARY, AGENCY, FRONT, MONITOR or SERVICE; repeatable.
        #[arg(long = "role", required = true, value_parser = parse_role)]
        roles: Vec<Role>,
        #[arg(long, default_value = "dev")]
        subject: String,
        /// For AGENCY tokens: the organization (directory id) the caller acts for.
        #[arg(long)]
        organization: Option<String>,
        #[arg(long, default_value_t = 8)]
        ttl_hours: u64,
        /// Ed25519 signing key (PEM).
        #[arg(long, env = "DOITHOAI_DEV_SIGNING_KEY", default_value = "deploy/local/dev-keys/signing.pem")]
        key: PathBuf,
    },
}

fn parse_role(text: &str) -> Result<Role, String> {
    Role::parse(text).ok_or_else(|| format!("unknown role {text:?}"))
}

pub fn run(command: DevCommand) -> anyhow::Result<()> {
    match command {
        DevCommand::Token { unit, roles, subject, organization, ttl_hours, key } => {
            doithoai_units::UnitCode::parse(&unit)?;
            let pem =
                std::fs::read_to_string(&key).with_context(|| format!("cannot read signing key {}", key.display()))?;
            let signer = TokenSigner::from_private_pem(&pem, "doithoai")?;
            let ttl = Duration::from_secs(ttl_hours * 3600);
            out!("{}", signer.sign_for(&subject, &unit, &roles, organization.as_deref(), ttl)?)?;
            Ok(())
        }
    }
}
