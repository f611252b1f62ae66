//! Every RPC needs a trusted token; a caller acts only inside its unit's
//! subtree and with the right role. Health and reflection stay open.
#![allow(clippy::unwrap_used)]

use doithoai_proto::directory::v1::{GetUnitRequest, UnitRow};
use doithoai_tests::*;
use tonic::Code;
use tonic_health::pb::{HealthCheckRequest, health_client::HealthClient};
use tonic_reflection::pb::v1::{
    ServerReflectionRequest, server_reflection_client::ServerReflectionClient,
    server_reflection_request::MessageRequest, server_reflection_response::MessageResponse,
};
use tonic_types::StatusExt;

fn get(code: &str) -> GetUnitRequest {
    GetUnitRequest { code: code.into() }
}

#[tokio::test]
async fn requests_without_a_trusted_token_are_unauthenticated() {
    let stack = Stack::start().await;
    stack.import_file("hung-yen-2020.csv").await.unwrap();
    let forged = forged_token("33", &[Role::Admin]);
    let mut directory = stack.directory().await;
    assert_eq!(directory.get_unit(get("33")).await.unwrap_err().code(), Code::Unauthenticated);
    assert_eq!(directory.get_unit(authorized(get("33"), &forged)).await.unwrap_err().code(), Code::Unauthenticated);
    assert_eq!(directory.get_unit(authorized(get("33"), "not.a.jwt")).await.unwrap_err().code(), Code::Unauthenticated);
    let rows = vec![UnitRow {
        line: 2,
        code: "34".into(),
        name: "Tỉnh Thái Bình".into(),
        tier: 1,
        kind: "Tỉnh".into(),
        ..Default::default()
    }];
    assert_eq!(stack.import_rows(rows, &forged).await.unwrap_err().code(), Code::Unauthenticated);
    for name in REPLICAS {
        let mut replica = stack.replica(name).await;
        assert_eq!(replica.get_unit(get("33")).await.unwrap_err().code(), Code::Unauthenticated, "{name}");
        assert_eq!(
            replica.get_unit(authorized(get("33"), &forged)).await.unwrap_err().code(),
            Code::Unauthenticated,
            "{name}"
        );
    }
    stack.finish().await;
}

#[tokio::test]
async fn a_caller_acts_only_inside_its_units_subtree() {
    let stack = Stack::start().await;
    stack.import_file("hung-yen-2020.csv").await.unwrap();
    stack.replicas_hold(172).await;
    // The office of Thành phố Hưng Yên (323): its own communes yes; the
    // province and another district's communes no.
    let district = token("323", &[Role::Office]);
    let other_district_commune =
        read_rows("hung-yen-2020.csv").into_iter().find(|r| r.parent_code == "325").unwrap().code;
    let mut directory = stack.directory().await;
    assert!(directory.get_unit(authorized(get("11950"), &district)).await.is_ok());
    for code in ["33", other_district_commune.as_str()] {
        let denied = directory.get_unit(authorized(get(code), &district)).await.unwrap_err();
        assert_eq!(denied.code(), Code::PermissionDenied, "{code}");
        assert_eq!(denied.get_details_error_info().unwrap().reason, "OUT_OF_SCOPE");
    }
    for name in REPLICAS {
        let mut replica = stack.replica(name).await;
        assert!(replica.get_unit(authorized(get("11950"), &district)).await.is_ok(), "{name}");
        let denied = replica.get_unit(authorized(get("33"), &district)).await.unwrap_err();
        assert_eq!(denied.code(), Code::PermissionDenied, "{name}");
    }
    stack.finish().await;
}

#[tokio::test]
async fn only_an_admin_imports_and_only_inside_its_subtree() {
    let stack = Stack::start().await;
    stack.import_file("hung-yen-2020.csv").await.unwrap();
    let rename = |code: &str, parent: &str, tier: i32| UnitRow {
        line: 2,
        code: code.into(),
        name: "Renamed".into(),
        tier,
        parent_code: parent.into(),
        kind: "Xã".into(),
        ..Default::default()
    };
    let office = token("33", &[Role::Office]);
    let refused = stack.import_rows(vec![rename("11950", "323", 3)], &office).await.unwrap_err();
    assert_eq!(refused.code(), Code::PermissionDenied);
    assert_eq!(refused.get_details_error_info().unwrap().reason, "ROLE_REQUIRED");

    let district_admin = token("325", &[Role::Admin]);
    let refused = stack.import_rows(vec![rename("11950", "323", 3)], &district_admin).await.unwrap_err();
    assert_eq!(refused.code(), Code::PermissionDenied);
    let own = read_rows("hung-yen-2020.csv").into_iter().find(|r| r.parent_code == "325").unwrap();
    let renamed = stack.import_rows(vec![rename(&own.code, "325", 3)], &district_admin).await.unwrap();
    assert_eq!(renamed.updated, 1);

    let name: String = sqlx::query_scalar("SELECT name FROM units WHERE code = '11950'")
        .fetch_one(&stack.database("scheduling").await)
        .await
        .unwrap();
    assert_eq!(name, "Phường Lam Sơn", "refused imports changed nothing");
    stack.finish().await;
}

#[tokio::test]
async fn health_and_reflection_answer_without_a_token() {
    let stack = Stack::start().await;
    for name in SERVICES {
        let channel = stack.channel(name).await;
        let health =
            HealthClient::new(channel.clone()).check(HealthCheckRequest { service: String::new() }).await.unwrap();
        assert_eq!(health.into_inner().status, 1, "{name} is SERVING");

        let request = ServerReflectionRequest {
            host: String::new(),
            message_request: Some(MessageRequest::ListServices(String::new())),
        };
        let mut responses = ServerReflectionClient::new(channel)
            .server_reflection_info(tokio_stream::iter(vec![request]))
            .await
            .unwrap()
            .into_inner();
        let Some(MessageResponse::ListServicesResponse(list)) =
            responses.message().await.unwrap().unwrap().message_response
        else {
            panic!("{name}: not a service list");
        };
        let services: Vec<String> = list.service.into_iter().map(|s| s.name).collect();
        let expected = if name == "scheduling" {
            "doithoai.directory.v1.UnitDirectory"
        } else {
            "doithoai.directory.v1.UnitReplica"
        };
        assert!(services.iter().any(|s| s == expected), "{name}: {services:?}");
    }
    stack.finish().await;
}

#[tokio::test]
async fn a_message_over_the_limit_is_resource_exhausted_and_the_service_goes_on() {
    let stack = Stack::start().await;
    stack.import_file("hung-yen-2020.csv").await.unwrap();
    let token = token("33", &[Role::Office]);
    let huge = get(&"3".repeat(5 * 1024 * 1024));
    for name in SERVICES {
        let refused = if name == "scheduling" {
            stack.directory().await.get_unit(authorized(huge.clone(), &token)).await.unwrap_err()
        } else {
            stack.replica(name).await.get_unit(authorized(huge.clone(), &token)).await.unwrap_err()
        };
        assert_eq!((refused.code(), rule(&refused)), (Code::ResourceExhausted, "MESSAGE_TOO_LARGE".into()), "{name}");
    }
    let answered = stack.directory().await.get_unit(authorized(get("33"), &token)).await.unwrap();
    assert_eq!(answered.into_inner().code, "33");
    let roleless = stack.directory().await.get_unit(authorized(get("33"), &doithoai_tests::token("33", &[]))).await;
    assert_eq!(rule(&roleless.unwrap_err()), "ROLE_REQUIRED", "a token without a role calls nothing");
    stack.finish().await;
}
