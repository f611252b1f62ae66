//! The conferences a write workload works in, prepared through the public
//! APIs as an office would: in each of N communes a head's post where the
//! commune has none, a conference ten days ahead, its secretary and its
//! announcement. Registrations take them announced; petitions need them
//! started, so the services' clocks (the stack's must be adjustable, as the
//! local one is) move to the conference's hour and each is started.

use std::time::Duration;

use anyhow::Context;
use chrono::{Datelike, Duration as Days, NaiveDate, Utc, Weekday};
use clap::Args;
use doithoai_proto::{
    clock::v1::{GetTimeRequest, SetTimeRequest, simulated_clock_client::SimulatedClockClient},
    common::v1::Tier,
    directory::v1::{GetSubtreeRequest, unit_directory_client::UnitDirectoryClient},
    minutes::v1::{ConferenceRequest, minutes_service_client::MinutesServiceClient},
    scheduling::v1::{
        AgendaItem, AnnounceConferenceRequest, AssignSecretaryRequest, Body, ConferenceDraft, ConferenceKind,
        ConferenceRef, CreateConferenceRequest, CreatePositionRequest, Form, ListPositionsRequest, Position, Rank,
        Regime, conferences_client::ConferencesClient, directory_client::DirectoryClient,
    },
};
use doithoai_runtime::{
    Role,
    auth::{TokenSigner, with_bearer as bearer},
    time::{instant, timestamp},
};
use tonic::transport::Channel;

#[derive(Args)]
pub struct StackArgs {
    #[arg(long, default_value = "http://127.0.0.1:7061")]
    pub scheduling: String,
    #[arg(long, default_value = "http://127.0.0.1:7062")]
    pub participants: String,
    #[arg(long, default_value = "http://127.0.0.1:7063")]
    pub minutes: String,
    #[arg(long, default_value = "http://127.0.0.1:7064")]
    pub deadlines: String,
    /// The deployment's root unit (its administrator moves the clocks).
    #[arg(long, default_value = "33")]
    pub root: String,
    /// How many conferences the load is spread over; 1 puts it all on one.
    #[arg(long, default_value_t = 32)]
    pub conferences: usize,
    /// The development signing key, for the office's, the secretaries' and the administrator's tokens.
    #[arg(long, default_value = "deploy/local/dev-keys/signing.pem")]
    pub dev_key: std::path::PathBuf,
}

impl StackArgs {
    /// A channel to one of the services, connected at its first call.
    pub fn connect(&self, addr: &str) -> anyhow::Result<Channel> {
        Ok(Channel::from_shared(addr.to_owned())?.connect_lazy())
    }

    /// Signs the load's tokens with the development key.
    pub fn signer(&self) -> anyhow::Result<TokenSigner> {
        let key = std::fs::read_to_string(&self.dev_key)
            .with_context(|| format!("cannot read the development key {}", self.dev_key.display()))?;
        TokenSigner::from_private_pem(&key, "doithoai")
    }
}

/// How long the load's tokens last: longer than any run.
pub const TOKEN_TTL: Duration = Duration::from_secs(8 * 3600);

/// One conference of the load, with the tokens of its office, its secretary and its host.
pub struct Conference {
    pub id: String,
    pub unit: String,
    pub office: String,
    pub secretary: String,
    pub host: String,
}

/// The conferences announced, not yet started.
pub struct Announced {
    pub conferences: Vec<Conference>,
    admin: String,
    scheduling: Channel,
    clocks: Vec<SimulatedClockClient<Channel>>,
    minutes: Channel,
    /// The conferences' day, the services' today once they start.
    pub day: NaiveDate,
}

/// 09:00 in Hà Nội on `day`.
fn nine_o_clock(day: NaiveDate) -> chrono::DateTime<Utc> {
    day.and_hms_opt(2, 0, 0).unwrap_or_default().and_utc()
}

pub async fn announce(args: &StackArgs) -> anyhow::Result<Announced> {
    anyhow::ensure!(args.conferences >= 1, "--conferences must be at least 1");
    let signer = args.signer()?;
    let admin = signer.sign("load-admin", &args.root, &[Role::Admin], TOKEN_TTL)?;
    let scheduling = args.connect(&args.scheduling)?;
    let mut clocks = Vec::new();
    for addr in [&args.scheduling, &args.participants, &args.minutes, &args.deadlines] {
        clocks.push(SimulatedClockClient::new(args.connect(addr)?));
    }

    // Today as the services see it; the conferences ten days on, a weekday.
    let now = clocks[0].get_time(bearer(GetTimeRequest {}, &admin)).await.context("the scheduling clock")?;
    let now = now.into_inner().time.as_ref().and_then(instant).context("a clock without its time")?;
    let today = now.date_naive();
    let mut day = today + Days::days(10);
    while matches!(day.weekday(), Weekday::Sat | Weekday::Sun) {
        day += Days::days(1);
    }

    // The communes, and a head's post in each.
    let communes = communes(&scheduling, &args.root, today, &admin, args.conferences).await?;
    anyhow::ensure!(
        communes.len() == args.conferences,
        "the root has {} communes, fewer than --conferences {}",
        communes.len(),
        args.conferences
    );
    let mut conferences = Vec::new();
    for unit in communes {
        let office = signer.sign(&format!("load-office-{unit}"), &unit, &[Role::Office], TOKEN_TTL)?;
        let (host, host_subject) = head_of(&scheduling, &unit, &office, day).await?;
        let client = ConferencesClient::new(scheduling.clone());
        let draft = ConferenceDraft {
            unit_code: unit.clone(),
            body: Body::PartyCommittee as i32,
            host_position_id: host,
            regime: Regime::AdHoc as i32,
            kind: ConferenceKind::CitizensDirect as i32,
            form: Form::InPerson as i32,
            venue_unit_code: unit.clone(),
            venue_address: "Hội trường Ủy ban nhân dân".into(),
            theme: "Hội nghị tải thử".into(),
            agenda: vec![AgendaItem { title: "Đất đai".into(), field: 1, ..Default::default() }],
            starts_at: Some(timestamp(nine_o_clock(day))),
            planned_minutes: 240,
            ..Default::default()
        };
        let create = CreateConferenceRequest { draft: Some(draft), ..Default::default() };
        let created = client.clone().create_conference(bearer(create, &office)).await.context("a conference")?;
        let id = created.into_inner().id;
        let secretary = format!("load-secretary-{unit}");
        let assign = AssignSecretaryRequest {
            id: id.clone(),
            secretary_subject: secretary.clone(),
            secretary_name: "Thư ký".into(),
        };
        client.clone().assign_secretary(bearer(assign, &office)).await.context("its secretary")?;
        let notice = AnnounceConferenceRequest {
            id: id.clone(),
            media_channel: "Cổng thông tin điện tử".into(),
            publication_date: today.to_string(),
        };
        client.clone().announce_conference(bearer(notice, &office)).await.context("its announcement")?;
        let secretary = signer.sign(&secretary, &unit, &[Role::Secretary], TOKEN_TTL)?;
        let host = signer.sign(&host_subject, &unit, &[Role::Host], TOKEN_TTL)?;
        conferences.push(Conference { id, unit, office, secretary, host });
    }
    let minutes = args.connect(&args.minutes)?;
    Ok(Announced { conferences, admin, scheduling, clocks, minutes, day })
}

/// Up to `limit` of the communes under `root` on `day`, as `token` sees them.
pub async fn communes(
    scheduling: &Channel,
    root: &str,
    day: NaiveDate,
    token: &str,
    limit: usize,
) -> anyhow::Result<Vec<String>> {
    let subtree = GetSubtreeRequest { code: root.to_owned(), on_date: day.to_string(), ..Default::default() };
    let units = UnitDirectoryClient::new(scheduling.clone())
        .get_subtree(bearer(subtree, token))
        .await
        .context("the root's subtree")?
        .into_inner()
        .units;
    Ok(units
        .into_iter()
        .filter(|u| u.tier == Tier::Commune as i32 && u.valid_to.is_empty())
        .map(|u| u.code)
        .take(limit)
        .collect())
}

impl Announced {
    /// Moves every service's clock to the conferences' hour and starts them;
    /// returns once each one's minutes are open.
    pub async fn start(mut self) -> anyhow::Result<Vec<Conference>> {
        for clock in &mut self.clocks {
            let set = SetTimeRequest { time: Some(timestamp(nine_o_clock(self.day))) };
            clock.set_time(bearer(set, &self.admin)).await.context("moving a service's clock")?;
        }
        for conference in &self.conferences {
            ConferencesClient::new(self.scheduling.clone())
                .start_conference(bearer(ConferenceRef { id: conference.id.clone() }, &conference.office))
                .await
                .context("starting a conference")?;
        }
        // The minutes open when the minutes service hears of the start.
        let minutes = MinutesServiceClient::new(self.minutes.clone());
        for conference in &self.conferences {
            let request = ConferenceRequest { conference_id: conference.id.clone() };
            let open = || {
                let (mut minutes, request) = (minutes.clone(), bearer(request.clone(), &conference.secretary));
                async move { minutes.get_minutes(request).await.is_ok() }
            };
            within_30_s(&format!("the minutes of conference {}", conference.id), open).await?;
        }
        Ok(self.conferences)
    }
}

/// Waits until `open` holds, checking every 100 ms: what another service
/// hears of through events; "`what` did not open within 30 s" otherwise.
pub async fn within_30_s<F, Fut>(what: &str, mut open: F) -> anyhow::Result<()>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = bool>,
{
    for _ in 0..300 {
        if open().await {
            return Ok(());
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    anyhow::bail!("{what} did not open within 30 s")
}

/// The head of the commune's Party committee on `day`, the post's id and
/// its holder's login: the one in post, or a post made for the load.
async fn head_of(scheduling: &Channel, unit: &str, office: &str, day: NaiveDate) -> anyhow::Result<(String, String)> {
    let mut directory = DirectoryClient::new(scheduling.clone());
    let list = ListPositionsRequest {
        unit_code: unit.to_owned(),
        body: Body::PartyCommittee as i32,
        on_date: day.to_string(),
        ..Default::default()
    };
    let posts = directory.list_positions(bearer(list, office)).await.context("the commune's posts")?;
    if let Some(head) =
        posts.into_inner().positions.into_iter().find(|p| p.unit_code == unit && p.rank == Rank::Head as i32)
    {
        return Ok((head.id, head.subject));
    }
    let position = Position {
        unit_code: unit.to_owned(),
        body: Body::PartyCommittee as i32,
        rank: Rank::Head as i32,
        title: "Bí thư Đảng ủy".into(),
        person_name: format!("Người chủ trì {unit}"),
        subject: format!("load-host-{unit}"),
        term_start: "2025-07-01".into(),
        ..Default::default()
    };
    let created = directory
        .create_position(bearer(CreatePositionRequest { position: Some(position), ..Default::default() }, office))
        .await
        .context("a head's post")?;
    let created = created.into_inner();
    Ok((created.id, created.subject))
}
