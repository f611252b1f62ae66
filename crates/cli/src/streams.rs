//! `doithoai streams backup|restore`: the JetStream streams as the server's
//! own snapshots (`$JS.API.STREAM.SNAPSHOT`, what `nats stream backup`
//! takes): the messages and the durable consumers' positions, consistent
//! across a cluster, without stopping anything. A stream is restored only
//! where it does not exist; `--replace` deletes it first.

use std::{path::PathBuf, time::Duration};

use anyhow::Context;
use async_nats::{Client, jetstream};
use clap::{Args, Subcommand};
use futures::StreamExt;
use serde_json::{Value, json};

#[derive(Subcommand)]
pub enum StreamsCommand {
    /// Snapshots every doithoai stream into DIR: STREAM.json (its
    /// configuration and state) and STREAM.tar.s2 (the server's snapshot).
    Backup(BackupArgs),
    /// Restores every stream snapshot in DIR.
    Restore(RestoreArgs),
}

#[derive(Args)]
pub struct Nats {
    /// NATS servers, separated by commas.
    #[arg(long, env = "DOITHOAI_NATS", default_value = "nats://127.0.0.1:4222")]
    nats: String,
}

#[derive(Args)]
pub struct BackupArgs {
    #[command(flatten)]
    nats: Nats,
    #[arg(long)]
    dir: PathBuf,
}

#[derive(Args)]
pub struct RestoreArgs {
    #[command(flatten)]
    nats: Nats,
    #[arg(long)]
    dir: PathBuf,
    /// Delete a stream of the same name first (the drill's "destroy").
    #[arg(long)]
    replace: bool,
}

/// The server waits this long for a chunk's acknowledgement; the client as long for a chunk.
const CHUNK_WAIT: Duration = Duration::from_secs(30);

pub async fn run(command: StreamsCommand) -> anyhow::Result<()> {
    match command {
        StreamsCommand::Backup(args) => backup(args).await,
        StreamsCommand::Restore(args) => restore(args).await,
    }
}

async fn connect(nats: &Nats) -> anyhow::Result<Client> {
    let servers = doithoai_runtime::settings::nats_servers(&nats.nats);
    async_nats::connect(servers).await.with_context(|| format!("cannot connect to NATS at {}", nats.nats))
}

async fn backup(args: BackupArgs) -> anyhow::Result<()> {
    let client = connect(&args.nats).await?;
    let js = jetstream::new(client.clone());
    std::fs::create_dir_all(&args.dir).with_context(|| format!("cannot create {}", args.dir.display()))?;
    let names: Vec<String> = js.stream_names().collect::<Vec<_>>().await.into_iter().collect::<Result<_, _>>()?;
    for name in names.iter().filter(|n| n.starts_with("DOITHOAI_")) {
        let (meta, data) = snapshot(&client, name).await.with_context(|| format!("snapshot of {name}"))?;
        std::fs::write(args.dir.join(format!("{name}.tar.s2")), &data)?;
        std::fs::write(args.dir.join(format!("{name}.json")), serde_json::to_vec_pretty(&meta)?)?;
        out!("{name}: {} messages, {} bytes", meta["state"]["messages"], data.len())?;
    }
    Ok(())
}

/// One stream's snapshot: the server sends chunks to an inbox, each to be
/// acknowledged, then an empty message with status 204. Returns the stream's
/// configuration and state (what a restore sends first) and the data.
async fn snapshot(client: &Client, name: &str) -> anyhow::Result<(Value, Vec<u8>)> {
    let inbox = client.new_inbox();
    let mut chunks = client.subscribe(inbox.clone()).await?;
    let request = json!({"deliver_subject": inbox, "no_consumers": false, "chunk_size": 128 * 1024});
    let answer =
        client.request(format!("$JS.API.STREAM.SNAPSHOT.{name}"), serde_json::to_vec(&request)?.into()).await?;
    let answer: Value = serde_json::from_slice(&answer.payload)?;
    api_error(&answer)?;
    let mut data = Vec::new();
    loop {
        let chunk = tokio::time::timeout(CHUNK_WAIT, chunks.next()).await.context("the snapshot stalled")?;
        let chunk = chunk.context("the snapshot's inbox closed")?;
        if chunk.payload.is_empty() {
            match chunk.status {
                Some(status) if status.as_u16() != 204 => {
                    anyhow::bail!("the server ended the snapshot with {status}: {:?}", chunk.description)
                }
                _ => break,
            }
        }
        data.extend_from_slice(&chunk.payload);
        if let Some(reply) = chunk.reply {
            client.publish(reply, Default::default()).await?;
        }
    }
    Ok((json!({"config": answer["config"], "state": answer["state"]}), data))
}

async fn restore(args: RestoreArgs) -> anyhow::Result<()> {
    let client = connect(&args.nats).await?;
    let js = jetstream::new(client.clone());
    let mut metas: Vec<PathBuf> = std::fs::read_dir(&args.dir)
        .with_context(|| format!("cannot read {}", args.dir.display()))?
        .filter_map(|entry| Some(entry.ok()?.path()))
        .filter(|path| path.extension().is_some_and(|e| e == "json"))
        .collect();
    metas.sort();
    anyhow::ensure!(!metas.is_empty(), "no stream snapshot (STREAM.json) in {}", args.dir.display());
    for meta_file in metas {
        let meta: Value = serde_json::from_slice(&std::fs::read(&meta_file)?)
            .with_context(|| format!("{} is not a snapshot's description", meta_file.display()))?;
        let name = meta["config"]["name"].as_str().context("a snapshot without its stream's name")?.to_owned();
        let data = std::fs::read(meta_file.with_extension("tar.s2"))?;
        if args.replace && js.get_stream(&name).await.is_ok() {
            js.delete_stream(&name).await.with_context(|| format!("cannot delete {name}"))?;
        }
        let state = restore_one(&client, &name, &meta, &data).await.with_context(|| format!("restore of {name}"))?;
        out!("{name}: {} messages restored", state["messages"])?;
    }
    Ok(())
}

/// Sends the description, then the data in chunks, each acknowledged, then
/// an empty message; the last answer is the restored stream's.
async fn restore_one(client: &Client, name: &str, meta: &Value, data: &[u8]) -> anyhow::Result<Value> {
    let answer = client.request(format!("$JS.API.STREAM.RESTORE.{name}"), serde_json::to_vec(meta)?.into()).await?;
    let answer: Value = serde_json::from_slice(&answer.payload)?;
    api_error(&answer)?;
    let deliver = answer["deliver_subject"].as_str().context("the server named no subject for the data")?.to_owned();
    for chunk in data.chunks(64 * 1024) {
        let ack = client.request(deliver.clone(), chunk.to_vec().into()).await?;
        if !ack.payload.is_empty() {
            api_error(&serde_json::from_slice(&ack.payload)?)?;
        }
    }
    // The server restores before it answers: as long as the data takes.
    let last = async_nats::Request::new().payload(Default::default()).timeout(Some(Duration::from_secs(600)));
    let done = client.send_request(deliver, last).await?;
    let done: Value = serde_json::from_slice(&done.payload)?;
    api_error(&done)?;
    Ok(done["state"].clone())
}

/// A JetStream API answer's error, as an error.
fn api_error(answer: &Value) -> anyhow::Result<()> {
    match answer.get("error") {
        Some(error) => anyhow::bail!("{} ({})", error["description"].as_str().unwrap_or("refused"), error["code"]),
        None => Ok(()),
    }
}
