//! `doithoai-national`: sets up the hub's stream of every province's
//! deadlines events, and prints the national summary from it.

use clap::{Parser, Subcommand};
use doithoai_national::{figures::Province, hub};

#[derive(Parser)]
#[command(name = "doithoai-national", version, about)]
struct Cli {
    /// The hub's NATS servers, separated by commas.
    #[arg(long, env = "DOITHOAI_NATIONAL_NATS", default_value = "nats://127.0.0.1:4222", global = true)]
    nats: String,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Creates the national stream, or brings its sources to these provinces.
    Link {
        /// CODE=DOMAIN for each province: its unit code and its NATS's JetStream domain.
        #[arg(long = "province", required = true)]
        provinces: Vec<hub::ProvinceLink>,
        /// Replicas of the national stream (the hub's cluster size).
        #[arg(long, default_value_t = 1)]
        replicas: usize,
    },
    /// Each province's on-time rate, heads without a dialogue and overdue by kind.
    Summary {
        /// JSON instead of text.
        #[arg(long)]
        json: bool,
    },
}

#[tokio::main(flavor = "current_thread")]
async fn main() -> anyhow::Result<()> {
    let cli = Cli::parse();
    let servers = doithoai_runtime::settings::nats_servers(&cli.nats);
    let client = async_nats::connect(servers).await?;
    let js = async_nats::jetstream::new(client);
    match cli.command {
        Command::Link { provinces, replicas } => {
            hub::link(&js, &provinces, replicas).await?;
            println!("{} sources {} provinces", hub::STREAM, provinces.len());
        }
        Command::Summary { json } => {
            let (figures, read) = hub::read(&js).await?;
            let provinces = figures.provinces();
            if json {
                println!("{}", serde_json::to_string_pretty(&provinces)?);
            } else {
                println!("{read} events · {} provinces", provinces.len());
                provinces.iter().for_each(|province| println!("{}", text(province)));
            }
        }
    }
    Ok(())
}

/// One province in a line, in Vietnamese: `Tỉnh 33: đúng hạn 75,0 % · …`.
fn text(province: &Province) -> String {
    let overdue: Vec<String> = province.overdue_by_kind.iter().map(|(kind, n)| format!("{kind} {n}")).collect();
    let overdue = if overdue.is_empty() { "0".to_owned() } else { overdue.join(", ") };
    let rate = format!("{:.1}", province.on_time_rate * 100.0).replace('.', ",");
    format!(
        "{}: đúng hạn {rate} % · lãnh đạo chưa đối thoại {} · quá hạn {overdue}",
        province.code, province.heads_without_dialogue
    )
}
