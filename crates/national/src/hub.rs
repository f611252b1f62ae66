//! The hub's stream: `DOITHOAI_NATIONAL`, with no subjects of its own, sourcing
//! each province's `DOITHOAI_DEADLINES` through that province's JetStream
//! domain (`$JS.<domain>.API`, across the leaf node). A source remembers how
//! far it has read, so a link cut for a while resumes where it stopped:
//! nothing lost, nothing twice; the province works on meanwhile.

use std::time::Duration;

use anyhow::Context;
use async_nats::jetstream::{self, consumer, stream};
use doithoai_proto::common::v1::EventEnvelope;
use futures::StreamExt;
use prost::Message;

use crate::figures::Figures;

pub const STREAM: &str = "DOITHOAI_NATIONAL";

/// A province the hub sources: its unit code and its JetStream domain.
#[derive(Debug, Clone, PartialEq)]
pub struct ProvinceLink {
    pub code: String,
    pub domain: String,
}

impl std::str::FromStr for ProvinceLink {
    type Err = anyhow::Error;

    /// `33=hung-yen`: the code, then the domain its NATS declares.
    fn from_str(text: &str) -> anyhow::Result<Self> {
        let (code, domain) = text.split_once('=').context("a province is CODE=DOMAIN, as 33=hung-yen")?;
        anyhow::ensure!(!code.is_empty() && code.chars().all(|c| c.is_ascii_digit()), "{code:?} is not a unit code");
        let valid = |c: char| c.is_ascii_alphanumeric() || c == '-' || c == '_';
        anyhow::ensure!(!domain.is_empty() && domain.chars().all(valid), "{domain:?} is not a JetStream domain");
        Ok(Self { code: code.to_owned(), domain: domain.to_owned() })
    }
}

/// The national stream sourcing every province's deadlines events.
pub fn stream_config(provinces: &[ProvinceLink], replicas: usize) -> stream::Config {
    let sources = provinces
        .iter()
        .map(|province| stream::Source {
            name: doithoai_runtime::events::stream_name("deadlines"),
            filter_subject: Some("doithoai.deadlines.>".into()),
            external: Some(stream::External {
                api_prefix: format!("$JS.{}.API", province.domain),
                delivery_prefix: None,
            }),
            ..Default::default()
        })
        .collect();
    stream::Config {
        name: STREAM.into(),
        sources: Some(sources),
        retention: stream::RetentionPolicy::Limits,
        storage: stream::StorageType::File,
        num_replicas: replicas,
        ..Default::default()
    }
}

/// Creates the national stream, or brings its sources to `provinces`.
pub async fn link(js: &jetstream::Context, provinces: &[ProvinceLink], replicas: usize) -> anyhow::Result<()> {
    let config = stream_config(provinces, replicas);
    if js.get_stream(STREAM).await.is_ok() {
        js.update_stream(&config).await.context("cannot update the national stream")?;
    } else {
        js.create_stream(config).await.context("cannot create the national stream")?;
    }
    Ok(())
}

/// What the hub holds now: every message of the national stream up to its
/// last, folded. Returns the figures and how many messages were read.
pub async fn read(js: &jetstream::Context) -> anyhow::Result<(Figures, u64)> {
    let mut stream = js.get_stream(STREAM).await.context("the national stream is missing (run `link` first)")?;
    let last = stream.info().await?.state.last_sequence;
    let mut figures = Figures::default();
    if last == 0 {
        return Ok((figures, 0));
    }
    let ordered = consumer::pull::OrderedConfig { deliver_policy: consumer::DeliverPolicy::All, ..Default::default() };
    let mut messages = stream.create_consumer(ordered).await?.messages().await?;
    let mut read = 0;
    loop {
        let next = tokio::time::timeout(Duration::from_secs(30), messages.next()).await;
        let message = next.context("the national stream stopped answering")?.context("the national stream ended")??;
        let sequence = message.info().map_err(|e| anyhow::anyhow!("{e}"))?.stream_sequence;
        let envelope = EventEnvelope::decode(message.payload.as_ref())
            .with_context(|| format!("message {sequence} is not an event envelope"))?;
        figures.apply(&envelope).with_context(|| format!("message {sequence}"))?;
        read += 1;
        if sequence >= last {
            return Ok((figures, read));
        }
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;

    #[test]
    fn a_province_is_its_code_and_its_domain() {
        let link: ProvinceLink = "33=hung-yen".parse().unwrap();
        assert_eq!(link, ProvinceLink { code: "33".into(), domain: "hung-yen".into() });
        assert!("33".parse::<ProvinceLink>().is_err());
        assert!("hy=33".parse::<ProvinceLink>().is_err());
        assert!("33=a.b".parse::<ProvinceLink>().is_err(), "a dot would change the API prefix");
    }

    #[test]
    fn each_province_is_sourced_through_its_own_domain() {
        let config = stream_config(&["33=hung-yen".parse().unwrap(), "01=ha-noi".parse().unwrap()], 3);
        let sources = config.sources.unwrap();
        let prefixes: Vec<&str> = sources.iter().map(|s| s.external.as_ref().unwrap().api_prefix.as_str()).collect();
        assert_eq!(prefixes, ["$JS.hung-yen.API", "$JS.ha-noi.API"]);
        assert!(sources.iter().all(|s| s.name == "DOITHOAI_DEADLINES"));
        assert!(config.subjects.is_empty(), "the hub's stream takes nothing published at the hub");
        assert_eq!(config.num_replicas, 3);
    }
}
