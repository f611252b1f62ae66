//! The SimulatedClock API: administrators move an adjustable clock; services
//! on the system clock do not serve it.
#![allow(clippy::unwrap_used)]

use doithoai_proto::clock::v1::{GetTimeRequest, SetTimeRequest, simulated_clock_client::SimulatedClockClient};
use doithoai_runtime::{Clock, testsuite};
use doithoai_tests::{scheduling::timestamp, *};
use tonic::Code;

#[tokio::test]
async fn an_administrator_moves_an_adjustable_clock_and_nobody_else_does() {
    let stack = Stack::start().await;
    let mut clock = SimulatedClockClient::new(stack.channel("deadlines").await);
    let admin = token("33", &[Role::Admin]);
    let to = "2025-03-03T02:00:00Z".parse().unwrap();
    let set = SetTimeRequest { time: Some(timestamp(to)) };
    let moved = clock.set_time(authorized(set, &admin)).await.unwrap().into_inner();
    assert_eq!(moved.time.unwrap().seconds, to.timestamp());
    assert_eq!(stack.clock.now(), to, "every service reads the moved clock");
    let read = clock.get_time(authorized(GetTimeRequest {}, &admin)).await.unwrap().into_inner();
    assert_eq!(read.time.unwrap().seconds, to.timestamp());

    let office = token("33", &[Role::Office]);
    assert_eq!(clock.set_time(authorized(set, &office)).await.unwrap_err().code(), Code::PermissionDenied);
    // A district's administrator does not move the whole deployment's time.
    let district = token("323", &[Role::Admin]);
    let refused = clock.set_time(authorized(set, &district)).await.unwrap_err();
    assert_eq!(refused.code(), Code::PermissionDenied);
    assert_eq!(rule(&refused), "ROOT_ADMIN_REQUIRED");
    let missing = clock.set_time(authorized(SetTimeRequest { time: None }, &admin)).await.unwrap_err();
    assert_eq!(missing.code(), Code::InvalidArgument);
    stack.finish().await;
}

#[tokio::test]
async fn a_restarted_service_comes_back_on_the_rehearsal_time() {
    let nats = testsuite::TestNats::start().await.unwrap();
    let database = testsuite::unique_database("deadlines");
    let settings = testsuite::settings(&database, &nats.url());
    let admin = token("33", &[Role::Admin]);
    let connect = |addr: std::net::SocketAddr| async move {
        let channel =
            tonic::transport::Channel::from_shared(format!("http://{addr}")).unwrap().connect().await.unwrap();
        SimulatedClockClient::new(channel)
    };
    let running = doithoai_deadlines::start(settings.clone(), Clock::adjustable()).await.unwrap();
    let to: chrono::DateTime<chrono::Utc> = "2025-03-03T02:00:00Z".parse().unwrap();
    let set = SetTimeRequest { time: Some(timestamp(to)) };
    connect(running.grpc_addr).await.set_time(authorized(set, &admin)).await.unwrap();
    running.stop().await.unwrap();

    let restarted = doithoai_deadlines::start(settings, Clock::adjustable()).await.unwrap();
    let read = connect(restarted.grpc_addr).await.get_time(authorized(GetTimeRequest {}, &admin)).await.unwrap();
    let now = chrono::DateTime::from_timestamp(read.into_inner().time.unwrap().seconds, 0).unwrap();
    assert!(now >= to && now - to < chrono::TimeDelta::minutes(5), "back on {now}, not the time set {to}");
    restarted.stop().await.unwrap();
    testsuite::drop_database(&database).await.unwrap();
    let mut nats = nats;
    nats.stop().await;
}

#[tokio::test]
async fn a_service_on_the_system_clock_does_not_serve_it() {
    let nats = testsuite::TestNats::start().await.unwrap();
    let database = testsuite::unique_database("deadlines");
    let settings = testsuite::settings(&database, &nats.url());
    let running = doithoai_deadlines::start(settings, Clock::system()).await.unwrap();
    let channel = tonic::transport::Channel::from_shared(format!("http://{}", running.grpc_addr))
        .unwrap()
        .connect()
        .await
        .unwrap();
    let refused = SimulatedClockClient::new(channel)
        .get_time(authorized(GetTimeRequest {}, &token("33", &[Role::Admin])))
        .await
        .unwrap_err();
    assert_eq!(refused.code(), Code::Unimplemented);
    running.stop().await.unwrap();
    testsuite::drop_database(&database).await.unwrap();
    let mut nats = nats;
    nats.stop().await;
}
