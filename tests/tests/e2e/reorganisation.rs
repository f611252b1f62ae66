//! The July 2025 reorganisation through the gRPC API: Hưng Yên and Thái Bình
//! of January 2025 become one province of two tiers on 1 July. The plan is
//! shown first, applied all or nothing by the root administrator, published,
//! followed by every replica, and applying it again changes nothing.
#![allow(clippy::unwrap_used)]

use std::collections::HashMap;

use doithoai_proto::scheduling::v1::{
    AgendaItem, Body, ConferenceDraft, ConferenceKind, ConferenceRef, CreateConferenceRequest,
    CreateOrganizationRequest, Form, ListConferencesRequest, ListPositionsRequest, Organization, OrganizationKind,
    Position, Rank, Regime, conferences_client::ConferencesClient, directory_client::DirectoryClient,
};
use doithoai_proto::{
    common::v1::PageRequest,
    directory::v1::{GetSubtreeRequest, GetUnitRequest, ReorganiseUnitsRequest, ReorganiseUnitsResponse, UnitRow},
};
use doithoai_tests::*;
use tonic::{Code, Status};
use tonic_types::StatusExt;

const DECISION: &str = "202/2025/QH15";

async fn reorganise(
    stack: &Stack,
    rows: Vec<UnitRow>,
    dry_run: bool,
    token: &str,
) -> Result<ReorganiseUnitsResponse, Status> {
    // The decision in the first message, the rows in chunks after it.
    let mut messages = vec![ReorganiseUnitsRequest {
        decision_number: DECISION.into(),
        effective_date: "2025-07-01".into(),
        dry_run,
        rows: Vec::new(),
    }];
    messages.extend(rows.chunks(40).map(|rows| ReorganiseUnitsRequest { rows: rows.to_vec(), ..Default::default() }));
    let request = authorized(tokio_stream::iter(messages), token);
    stack.directory().await.reorganise_units(request).await.map(tonic::Response::into_inner)
}

/// A periodic dialogue of `head`'s unit in `venue`, starting at `starts_at`.
fn draft(head: &Position, venue: &str, starts_at: &str) -> ConferenceDraft {
    ConferenceDraft {
        unit_code: head.unit_code.clone(),
        body: head.body,
        host_position_id: head.id.clone(),
        regime: Regime::Periodic as i32,
        kind: ConferenceKind::CitizensDirect as i32,
        form: Form::InPerson as i32,
        venue_unit_code: venue.into(),
        venue_address: "Hội trường".into(),
        theme: "Giải phóng mặt bằng".into(),
        agenda: vec![AgendaItem { title: "Bồi thường".into(), field: 1, ..Default::default() }],
        starts_at: Some(scheduling::timestamp(scheduling::at(starts_at))),
        planned_minutes: 180,
        ..Default::default()
    }
}

#[tokio::test]
async fn the_july_2025_merger_is_planned_applied_once_and_followed_by_every_replica() {
    let stack = Stack::start().await;
    stack.import_file("hung-yen-2025-01.csv").await.unwrap();
    let thai_binh = province_rows("vietnam-2025-01.csv", "34");
    assert_eq!(thai_binh.len(), 251);
    stack.import_rows(thai_binh, &token("34", &[Role::Admin])).await.unwrap();
    stack.replicas_hold(150 + 251).await;
    let july = read_rows("hung-yen-2025-07.csv");
    let root = token("33", &[Role::Admin]);

    // Only the deployment's root administrator reorganises it.
    let refused = reorganise(&stack, july.clone(), false, &token("323", &[Role::Admin])).await.unwrap_err();
    assert_eq!((refused.code(), rule(&refused)), (Code::PermissionDenied, "ROOT_ADMIN_REQUIRED".into()));

    // The plan first: 381 communes become 104, all under codes they reuse;
    // the 18 districts and Thái Bình end on 30 June, succeeded by Hưng Yên.
    let planned = reorganise(&stack, july.clone(), true, &root).await.unwrap();
    assert!(!planned.applied);
    assert_eq!((planned.received, planned.created_codes.len(), planned.unchanged), (105, 0, 0));
    assert_eq!(planned.continued_codes.len(), 105, "the province gains its sources, every commune moves");
    assert_eq!(planned.retired.len(), 277 + 18 + 1);
    let successors: HashMap<&str, &[String]> =
        planned.retired.iter().map(|s| (s.code.as_str(), s.successor_codes.as_slice())).collect();
    assert_eq!(successors["34"], ["33"]);
    assert_eq!(successors["323"], ["33"]);
    assert_eq!(successors["11974"], ["11953"]);
    let get = |code: &str| {
        let stack = &stack;
        let request = authorized(GetUnitRequest { code: code.into() }, &root);
        async move { stack.directory().await.get_unit(request).await.unwrap().into_inner() }
    };
    assert_eq!(get("323").await.valid_to, "", "a dry run changes nothing");

    let applied = reorganise(&stack, july.clone(), false, &root).await.unwrap();
    assert!(applied.applied);
    assert_eq!(applied.retired, planned.retired);
    let district = get("323").await;
    assert_eq!((district.valid_to.as_str(), district.successor_codes.clone()), ("2025-06-30", vec!["33".to_owned()]));
    let pho_hien = get("11953").await;
    assert_eq!((pho_hien.path.clone(), pho_hien.valid_to.as_str()), (vec!["33".to_owned(), "11953".into()], ""));
    assert_eq!(pho_hien.legacy_codes, ["11956", "11959", "11962", "11971", "11974"]);
    assert_eq!(get("11974").await.path, ["33", "323", "11974"], "history keeps its place");
    // The province as of 1 July: itself and its 104 communes; without a date, its history too.
    let subtree = |on: &str| {
        let page = Some(PageRequest { page_size: 1000, page_token: String::new() });
        authorized(GetSubtreeRequest { code: "33".into(), on_date: on.into(), page }, &root)
    };
    let mut directory = stack.directory().await;
    let today = directory.get_subtree(subtree("2025-07-01")).await.unwrap().into_inner().units;
    assert_eq!(today.len(), 105);
    assert!(today.iter().all(|u| u.valid_to.is_empty() && u.path.len() <= 2));
    let all = directory.get_subtree(subtree("")).await.unwrap().into_inner().units;
    assert!(all.iter().any(|u| u.code == "323" && u.valid_to == "2025-06-30"));
    let refused = directory.get_subtree(subtree("1 July")).await.unwrap_err();
    assert_eq!(refused.code(), Code::InvalidArgument);

    // Every replica follows.
    for name in REPLICAS {
        let mut replica = stack.replica(name).await;
        eventually(WAIT, "the replica follows the reorganisation", || {
            let request = authorized(GetUnitRequest { code: "11974".into() }, &root);
            let mut replica = replica.clone();
            async move {
                let unit = replica.get_unit(request).await.ok()?.into_inner();
                (unit.valid_to == "2025-06-30" && unit.successor_codes == ["11953"]).then_some(())
            }
        })
        .await;
        let moved = replica.get_unit(authorized(GetUnitRequest { code: "11953".into() }, &root)).await.unwrap();
        assert_eq!(moved.into_inner().path, ["33", "11953"], "{name}");
    }
    let published = |kind: &'static str| {
        let stack = &stack;
        async move {
            let messages = stack.stream_messages("DOITHOAI_SCHEDULING").await;
            messages.iter().filter(|m| m.subject.starts_with(&format!("doithoai.scheduling.{kind}."))).count()
        }
    };
    assert_eq!(published("units_reorganised").await, 1);
    // The abolished district's public feed sends its subscribers to the province's.
    let public = stack.running("scheduling").public_addr.unwrap();
    let moved = http_get_status(public, "/public/units/323.ics").await;
    assert!(moved.starts_with("HTTP/1.1 308"), "{moved}");
    assert!(moved.to_lowercase().contains("location: /public/units/33.ics"), "{moved}");
    assert!(http_get_status(public, "/public/units/11953.json").await.starts_with("HTTP/1.1 200"));

    // Applying it again changes nothing and publishes nothing.
    let again = reorganise(&stack, july, false, &root).await.unwrap();
    assert_eq!((again.applied, again.retired.len(), again.continued_codes.len(), again.unchanged), (false, 0, 0, 105));
    assert_eq!(published("units_reorganised").await, 1);

    // The older list imported again says what the reorganisation replaced: its units stay as it left them.
    let older = stack.import_file("hung-yen-2025-01.csv").await.unwrap();
    assert_eq!((older.received, older.superseded, older.created, older.updated), (150, 150, 0, 0));
    assert_eq!(get("11953").await.path, ["33", "11953"]);
    assert_eq!(get("323").await.valid_to, "2025-06-30");
    stack.finish().await;
}

#[tokio::test]
async fn after_the_merger_an_abolished_district_hosts_nothing_and_its_office_changes_nothing() {
    let stack = Stack::start().await;
    stack.clock.set(scheduling::at(scheduling::MONDAY));
    stack.import_file("hung-yen-2025-01.csv").await.unwrap();
    stack.import_rows(province_rows("vietnam-2025-01.csv", "34"), &token("34", &[Role::Admin])).await.unwrap();
    let office = token("323", &[Role::Office]);
    let head = scheduling::create_post(
        &stack,
        ("323", Body::PartyCommittee, Rank::Head),
        "Bí thư Thành ủy",
        "bithu-323",
        &office,
    )
    .await;
    reorganise(&stack, read_rows("hung-yen-2025-07.csv"), false, &token("33", &[Role::Admin])).await.unwrap();

    let draft = draft(&head, "11950", scheduling::CONFERENCE_DAY);
    let mut conferences = ConferencesClient::new(stack.channel("scheduling").await);
    let request = CreateConferenceRequest { draft: Some(draft), ..Default::default() };
    let refused = conferences.create_conference(authorized(request, &office)).await.unwrap_err();
    assert_eq!(
        (refused.code(), rule(&refused)),
        (Code::FailedPrecondition, "UNIT_NOT_IN_EXISTENCE".into()),
        "{}",
        refused.message()
    );
    assert!(refused.message().contains("ended on 2025-06-30, succeeded by 33"), "{}", refused.message());
    // The district's head's post ended with the district.
    let mut directory = DirectoryClient::new(stack.channel("scheduling").await);
    let posts = ListPositionsRequest { unit_code: "323".into(), ..Default::default() };
    let posts = directory.list_positions(authorized(posts, &office)).await.unwrap().into_inner().positions;
    assert_eq!(posts.iter().map(|p| p.term_end.as_str()).collect::<Vec<_>>(), ["2025-06-30"]);
    // Its office reads the district's history (above), and changes nothing any more.
    let agency = Organization {
        unit_code: "323".into(),
        kind: OrganizationKind::Department as i32,
        name: "Phòng Nội vụ".into(),
        ..Default::default()
    };
    let request = CreateOrganizationRequest { organization: Some(agency), ..Default::default() };
    let refused = directory.create_organization(authorized(request, &office)).await.unwrap_err();
    assert_eq!((refused.code(), rule(&refused)), (Code::PermissionDenied, "CALLER_UNIT_ENDED".into()));
    assert!(refused.message().contains("unit 323 ended on 2025-06-30, succeeded by 33"), "{}", refused.message());
    stack.finish().await;
}

#[tokio::test]
async fn a_mapping_that_names_an_unknown_source_is_refused_whole_with_its_line() {
    let stack = Stack::start().await;
    stack.import_file("hung-yen-2025-01.csv").await.unwrap();
    let root = token("33", &[Role::Admin]);
    // Without Thái Bình in the directory, the July list names sources it does not have.
    let refused = reorganise(&stack, read_rows("hung-yen-2025-07.csv"), false, &root).await.unwrap_err();
    assert_eq!((refused.code(), rule(&refused)), (Code::InvalidArgument, "INVALID_UNIT_IMPORT".into()));
    let violations = refused.get_details_bad_request().unwrap().field_violations;
    assert!(violations.iter().all(|v| v.field.starts_with("rows[line ") && v.field.ends_with("].legacy_sources")));
    assert!(violations.iter().any(|v| v.description.contains("is not in the directory")), "{violations:?}");
    let unit = stack.directory().await.get_unit(authorized(GetUnitRequest { code: "323".into() }, &root)).await;
    assert_eq!(unit.unwrap().into_inner().valid_to, "", "nothing was applied");
    stack.finish().await;
}

#[tokio::test]
async fn replicas_converge_on_the_merger_applied_while_nats_was_down() {
    let mut stack = Stack::start().await;
    stack.import_file("hung-yen-2025-01.csv").await.unwrap();
    stack.import_rows(province_rows("vietnam-2025-01.csv", "34"), &token("34", &[Role::Admin])).await.unwrap();
    stack.replicas_hold(150 + 251).await;
    stack.nats.stop().await;
    let applied = reorganise(&stack, read_rows("hung-yen-2025-07.csv"), false, &token("33", &[Role::Admin])).await;
    assert!(applied.expect("a reorganisation never fails because NATS is down").applied);
    let alive = "SELECT count(*) FROM units WHERE valid_to IS NULL";
    tokio::time::sleep(std::time::Duration::from_secs(1)).await;
    for name in REPLICAS {
        assert_eq!(stack.count(name, alive).await, 401, "{name} has heard nothing yet");
    }
    stack.nats.restart().await.unwrap();
    for name in REPLICAS {
        eventually(WAIT, &format!("{name} to converge"), || async {
            (stack.count(name, alive).await == 105).then_some(())
        })
        .await;
        let moved = "SELECT count(*) FROM units WHERE code = '11953' AND path = ARRAY['33', '11953']";
        assert_eq!(stack.count(name, moved).await, 1, "{name}");
        let ended = "SELECT count(*) FROM units WHERE valid_to = '2025-06-30'";
        assert_eq!(stack.count(name, ended).await, 296, "{name}");
    }
    assert_eq!(stack.count("scheduling", "SELECT count(*) FROM outbox WHERE published_at IS NULL").await, 0);
    stack.finish().await;
}

#[tokio::test]
async fn a_new_commune_finds_the_conferences_of_the_communes_it_was_formed_from() {
    let stack = Stack::start().await;
    stack.clock.set(scheduling::at("2025-06-02T01:00:00Z"));
    stack.import_file("hung-yen-2025-01.csv").await.unwrap();
    stack.import_rows(province_rows("vietnam-2025-01.csv", "34"), &token("34", &[Role::Admin])).await.unwrap();
    // June 2025: commune 11956's chair holds a dialogue in the commune.
    let office = token("323", &[Role::Office]);
    let chair = scheduling::create_post(
        &stack,
        ("11956", Body::PeoplesCommittee, Rank::Head),
        "Chủ tịch UBND phường",
        "chutich-11956",
        &office,
    )
    .await;
    let draft = draft(&chair, "11956", "2025-06-10T02:00:00Z");
    let mut conferences = ConferencesClient::new(stack.channel("scheduling").await);
    let request = CreateConferenceRequest { draft: Some(draft), ..Default::default() };
    let held = conferences.create_conference(authorized(request, &office)).await.unwrap().into_inner();
    reorganise(&stack, read_rows("hung-yen-2025-07.csv"), false, &token("33", &[Role::Admin])).await.unwrap();

    // From 1 July 11956 is part of Phố Hiến (11953), which finds what it inherited.
    let list = |inherited: bool| ListConferencesRequest { unit_code: "11953".into(), inherited, ..Default::default() };
    let pho_hien = token("11953", &[Role::Office]);
    let listed = |inherited: bool| {
        let (mut conferences, request) = (conferences.clone(), authorized(list(inherited), &pho_hien));
        async move { conferences.list_conferences(request).await.unwrap().into_inner().conferences }
    };
    let inherited = listed(true).await;
    assert_eq!(inherited.iter().map(|c| c.id.as_str()).collect::<Vec<_>>(), [held.id.as_str()]);
    assert_eq!(inherited[0].unit_path, ["33", "323", "11956"], "it keeps its historical unit");
    assert!(listed(false).await.is_empty(), "its own subtree holds none of it");
    // Another commune inherits nothing of 11956.
    let elsewhere = ListConferencesRequest { unit_code: "11983".into(), inherited: true, ..Default::default() };
    let request = authorized(elsewhere, &token("11983", &[Role::Office]));
    assert!(conferences.list_conferences(request).await.unwrap().into_inner().conferences.is_empty());

    // Scope as of today: Phố Hiến reads what it inherited; the other commune does not.
    let read = |token: &str| authorized(ConferenceRef { id: held.id.clone() }, token);
    let found = conferences.get_conference(read(&pho_hien)).await.unwrap().into_inner();
    assert_eq!(found.unit_path, ["33", "323", "11956"]);
    let stranger = token("11983", &[Role::Office]);
    let refused = conferences.get_conference(read(&stranger)).await.unwrap_err();
    assert_eq!((refused.code(), rule(&refused)), (Code::PermissionDenied, "OUT_OF_SCOPE".to_owned()));
    stack.finish().await;
}
