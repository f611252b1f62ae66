//! What overseers and offices read, over the year the stack holds (the
//! demonstration history on the local stack): the obligations' summary
//! (GetSummary), a page of obligations (ListObligations) and a page of the
//! year's conferences (ListConferences), and with `--reports` the year's
//! report (GetReport), each for the province or one of its communes in turn,
//! every operation an equal share. The reader is the province's monitor, who
//! may read them all.

use std::time::Duration;

use anyhow::Context;
use chrono::Datelike;
use clap::Args;
use doithoai_proto::{
    clock::v1::{GetTimeRequest, simulated_clock_client::SimulatedClockClient},
    common::v1::PageRequest,
    deadlines::v1::{ListObligationsRequest, ReportRequest, SummaryRequest, deadlines_client::DeadlinesClient},
    scheduling::v1::{ListConferencesRequest, conferences_client::ConferencesClient},
};
use doithoai_runtime::{
    Role,
    auth::{TokenSigner, with_bearer as bearer},
    time::instant,
};
use tonic::transport::Channel;

use crate::{conferences, drive::Workload};

#[derive(Args)]
pub struct ReadsArgs {
    #[arg(long, default_value = "http://127.0.0.1:7061")]
    pub scheduling: String,
    #[arg(long, default_value = "http://127.0.0.1:7064")]
    pub deadlines: String,
    /// The province: its monitor reads, and its communes take turns with it.
    #[arg(long, default_value = "33")]
    pub root: String,
    /// The development signing key, for the monitor's token.
    #[arg(long, default_value = "deploy/local/dev-keys/signing.pem")]
    pub dev_key: std::path::PathBuf,
    /// How many of its communes take turns with the province.
    #[arg(long, default_value_t = 20)]
    pub communes: usize,
    /// Also the year's report (GetReport), a heavier read than the others.
    #[arg(long)]
    pub reports: bool,
}

const OPERATIONS: [&str; 4] = ["GetSummary", "ListObligations", "ListConferences", "GetReport"];

pub struct Reads {
    operations: &'static [&'static str],
    scheduling: Channel,
    deadlines: Channel,
    token: String,
    /// The province first, then its communes.
    units: Vec<String>,
    /// The year as the services see it, and its first day and today (the report's period).
    year: i32,
    period: (String, String),
    /// What the province holds, to say what was read.
    found: String,
}

impl Reads {
    pub async fn prepare(args: &ReadsArgs) -> anyhow::Result<Self> {
        let key = std::fs::read_to_string(&args.dev_key)
            .with_context(|| format!("cannot read the development key {}", args.dev_key.display()))?;
        let signer = TokenSigner::from_private_pem(&key, "doithoai")?;
        let hours = Duration::from_secs(8 * 3600);
        let token = signer.sign("load-monitor", &args.root, &[Role::Monitor], hours)?;
        // Only an administrator may read the services' clock.
        let admin = signer.sign("load-admin", &args.root, &[Role::Admin], hours)?;
        let connect = |addr: &str| Channel::from_shared(addr.to_owned()).map(|e| e.connect_lazy());
        let (scheduling, deadlines) = (connect(&args.scheduling)?, connect(&args.deadlines)?);

        let now = SimulatedClockClient::new(deadlines.clone()).get_time(bearer(GetTimeRequest {}, &admin)).await;
        let now = now.context("the deadlines service's clock")?.into_inner();
        let today = now.time.as_ref().and_then(instant).context("a clock without its time")?.date_naive();
        let communes = conferences::communes(&scheduling, &args.root, today, &token, args.communes).await?;
        let units: Vec<String> = std::iter::once(args.root.clone()).chain(communes).collect();

        let mut reads = Self {
            operations: if args.reports { &OPERATIONS } else { &OPERATIONS[..3] },
            scheduling,
            deadlines,
            token,
            units,
            year: today.year(),
            period: (format!("{}-01-01", today.year()), today.to_string()),
            found: String::new(),
        };
        let summary = reads.summary(&args.root).await.context("the province's summary")?;
        let obligations: u32 = summary.counts.iter().map(|c| c.count).sum();
        let conferences = reads.conferences(&args.root).await.context("the province's conferences")?;
        reads.found = format!(
            "reads of {} and {} communes; the province holds {obligations} obligations and {} conferences on the first page of {}",
            args.root,
            reads.units.len() - 1,
            conferences.conferences.len(),
            reads.year
        );
        Ok(reads)
    }

    pub fn describe(&self) -> String {
        self.found.clone()
    }

    async fn summary(&self, unit: &str) -> Result<doithoai_proto::deadlines::v1::Summary, tonic::Status> {
        let request = SummaryRequest { unit_code: unit.to_owned(), ..Default::default() };
        Ok(DeadlinesClient::new(self.deadlines.clone()).get_summary(bearer(request, &self.token)).await?.into_inner())
    }

    async fn conferences(
        &self,
        unit: &str,
    ) -> Result<doithoai_proto::scheduling::v1::ListConferencesResponse, tonic::Status> {
        let request = ListConferencesRequest {
            unit_code: unit.to_owned(),
            year: self.year,
            page: Some(PageRequest { page_size: 50, ..Default::default() }),
            ..Default::default()
        };
        let mut client = ConferencesClient::new(self.scheduling.clone());
        Ok(client.list_conferences(bearer(request, &self.token)).await?.into_inner())
    }
}

impl Workload for Reads {
    fn operations(&self) -> &[&'static str] {
        self.operations
    }

    async fn send(&self, n: u64) -> Option<(usize, anyhow::Result<()>)> {
        let kinds = self.operations.len() as u64;
        let operation = (n % kinds) as usize;
        let unit = &self.units[(n / kinds % self.units.len() as u64) as usize];
        let mut deadlines = DeadlinesClient::new(self.deadlines.clone());
        let result = match operation {
            0 => self.summary(unit).await.map(drop),
            1 => {
                let request = ListObligationsRequest {
                    unit_code: unit.clone(),
                    page: Some(PageRequest { page_size: 50, ..Default::default() }),
                    ..Default::default()
                };
                deadlines.list_obligations(bearer(request, &self.token)).await.map(drop)
            }
            2 => self.conferences(unit).await.map(drop),
            _ => {
                let (from, to) = self.period.clone();
                let request = ReportRequest { unit_code: unit.clone(), from, to };
                deadlines.get_report(bearer(request, &self.token)).await.map(drop)
            }
        };
        Some((operation, result.map_err(anyhow::Error::from)))
    }
}
