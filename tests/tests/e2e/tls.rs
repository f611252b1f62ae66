//! gRPC over TLS between agencies: a service with its certificate from files
//! and client certificates required (mutual TLS). Certificates are made by
//! the test (rcgen): the province's CA, the service's certificate, an
//! inter-agency system's client certificate, and a stranger's from another
//! CA. The client certificate's identity is in the audit log beside the
//! token's subject; a rotated certificate is served without a restart.
#![allow(clippy::unwrap_used)]

use std::{net::SocketAddr, path::Path, time::Duration};

use doithoai_proto::directory::v1::{GetUnitRequest, unit_directory_client::UnitDirectoryClient};
use doithoai_runtime::testsuite::{self, TestNats};
use doithoai_runtime::tls::{ClientTlsSettings, endpoint};
use doithoai_runtime::{Clock, RunningService, Settings};
use doithoai_tests::{Role, WAIT, authorized, eventually, import_units, read_rows, token};
use rcgen::{BasicConstraints, CertificateParams, DnType, IsCa, Issuer, KeyPair, SanType};
use tonic::transport::Channel;
use tonic_health::pb::{HealthCheckRequest, health_check_response::ServingStatus, health_client::HealthClient};

/// A certificate authority the test runs.
struct Authority {
    issuer: Issuer<'static, KeyPair>,
    pem: String,
}

impl Authority {
    fn new(name: &str) -> Self {
        let mut params = CertificateParams::new(Vec::<String>::new()).unwrap();
        params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        params.distinguished_name.push(DnType::CommonName, name);
        let key = KeyPair::generate().unwrap();
        let pem = params.self_signed(&key).unwrap().pem();
        Self { issuer: Issuer::new(params, key), pem }
    }

    /// A certificate for `names` (DNS or URI), and its key, as PEM.
    fn issue(&self, names: &[SanType]) -> (String, String) {
        let mut params = CertificateParams::new(Vec::<String>::new()).unwrap();
        params.subject_alt_names = names.to_vec();
        let key = KeyPair::generate().unwrap();
        let certificate = params.signed_by(&key, &self.issuer).unwrap();
        (certificate.pem(), key.serialize_pem())
    }
}

fn write(dir: &Path, name: &str, pem: &str) -> String {
    let path = dir.join(name);
    // Written aside and renamed, as a rotation is: never half a file.
    let aside = dir.join(format!(".{name}"));
    std::fs::write(&aside, pem).unwrap();
    std::fs::rename(&aside, &path).unwrap();
    path.display().to_string()
}

fn localhost() -> Vec<SanType> {
    vec![SanType::DnsName("localhost".try_into().unwrap())]
}

/// A client of the service at `addr` over TLS trusting `ca`, with a client
/// certificate or without one.
fn client(addr: SocketAddr, dir: &Path, ca: &str, identity: Option<(&str, &str)>) -> Channel {
    let tls = ClientTlsSettings {
        ca_file: Some(dir.join(ca)),
        cert_file: identity.map(|(cert, _)| dir.join(cert)),
        key_file: identity.map(|(_, key)| dir.join(key)),
    };
    let address = format!("https://localhost:{}", addr.port());
    endpoint(&address, &tls).unwrap().connect_timeout(Duration::from_secs(2)).connect_lazy()
}

async fn get_unit(channel: Channel) -> Result<String, tonic::Status> {
    let request = authorized(GetUnitRequest { code: "33".into() }, &token("33", &[Role::Monitor]));
    let unit = UnitDirectoryClient::new(channel).get_unit(request).await?.into_inner();
    Ok(unit.name)
}

struct Fixture {
    _nats: TestNats,
    /// Health alone, in plaintext, for the kubelet's probes.
    health: SocketAddr,
    dir: tempfile::TempDir,
    settings: Settings,
    service: RunningService,
    province: Authority,
}

impl Fixture {
    /// The scheduling service over TLS, client certificates from the province's CA required.
    async fn new() -> Self {
        let nats = TestNats::start().await.unwrap();
        let dir = tempfile::tempdir().unwrap();
        let province = Authority::new("CA Tỉnh Hưng Yên");
        let (cert, key) = province.issue(&localhost());
        let tls = serde_json::json!({
            "cert_file": write(dir.path(), "server.pem", &cert),
            "key_file": write(dir.path(), "server.key", &key),
            "client_ca_file": write(dir.path(), "province-ca.pem", &province.pem),
            "require_client_cert": true,
            "reload_secs": 1,
        });
        let health: SocketAddr = ([127, 0, 0, 1], testsuite::free_port()).into();
        let settings = testsuite::settings(&testsuite::unique_database("scheduling"), &nats.url())
            .with("tls", tls)
            .and_then(|s| s.with("health_addr", health.to_string()))
            .unwrap();
        let service = doithoai_scheduling::start(settings.clone(), Clock::system()).await.unwrap();
        Self { _nats: nats, health, dir, settings, service, province }
    }

    fn client_certificate(&self, authority: &Authority, name: &str, identity: &str) {
        let (cert, key) = authority.issue(&[SanType::URI(identity.try_into().unwrap())]);
        write(self.dir.path(), &format!("{name}.pem"), &cert);
        write(self.dir.path(), &format!("{name}.key"), &key);
    }

    fn addr(&self) -> SocketAddr {
        self.service.grpc_addr
    }
}

#[tokio::test]
async fn mutual_tls_refuses_plaintext_strangers_and_callers_without_a_certificate() {
    let f = Fixture::new().await;
    let system = "spiffe://hung-yen/he-thong-mot-cua";
    f.client_certificate(&f.province, "system", system);
    let stranger = Authority::new("CA lạ");
    f.client_certificate(&stranger, "stranger", "spiffe://elsewhere/someone");

    // The inter-agency system, with the province's certificate, imports the units.
    let trusted = client(f.addr(), f.dir.path(), "province-ca.pem", Some(("system.pem", "system.key")));
    let admin = token(testsuite::ROOT_UNIT, &[Role::Admin]);
    import_units(trusted.clone(), read_rows("hung-yen-2025-07.csv"), &admin).await.unwrap();
    assert_eq!(get_unit(trusted).await.unwrap(), "Tỉnh Hưng Yên");

    // Its certificate's identity is in the audit log beside the token's subject.
    let pool = testsuite::connect_database(&f.settings, "scheduling").await.unwrap();
    let audited: Vec<(String, Option<String>)> =
        sqlx::query_as("SELECT DISTINCT actor, peer FROM audit_log").fetch_all(&pool).await.unwrap();
    assert_eq!(audited, [("test".to_owned(), Some(system.to_owned()))], "{audited:?}");

    // Plaintext, no client certificate, a certificate of another CA: refused.
    let plaintext = Channel::from_shared(format!("http://{}", f.addr())).unwrap().connect_lazy();
    let anonymous = client(f.addr(), f.dir.path(), "province-ca.pem", None);
    let strange = client(f.addr(), f.dir.path(), "province-ca.pem", Some(("stranger.pem", "stranger.key")));
    for (who, channel) in [("plaintext", plaintext), ("no certificate", anonymous), ("another CA", strange)] {
        let refused = get_unit(channel).await.unwrap_err();
        assert!(
            matches!(refused.code(), tonic::Code::Unavailable | tonic::Code::Unknown | tonic::Code::Internal),
            "{who}: {refused:?}"
        );
    }

    // The probes' port answers health, in plaintext, and nothing else.
    let probe = Channel::from_shared(format!("http://{}", f.health)).unwrap().connect().await.unwrap();
    let serving = HealthClient::new(probe.clone()).check(HealthCheckRequest { service: String::new() }).await.unwrap();
    assert_eq!(serving.into_inner().status, ServingStatus::Serving as i32);
    let api = get_unit(probe).await.unwrap_err();
    assert_eq!(api.code(), tonic::Code::Unimplemented, "only health on the probes' port");
}

#[tokio::test]
async fn a_rotated_certificate_is_served_without_a_restart() {
    let f = Fixture::new().await;
    f.client_certificate(&f.province, "system", "spiffe://hung-yen/he-thong-mot-cua");
    let identity = Some(("system.pem", "system.key"));
    import_units(
        client(f.addr(), f.dir.path(), "province-ca.pem", identity),
        read_rows("hung-yen-2025-07.csv"),
        &token(testsuite::ROOT_UNIT, &[Role::Admin]),
    )
    .await
    .unwrap();

    // The service's certificate renewed by a new intermediate the clients are told to trust.
    let renewed = Authority::new("CA Tỉnh Hưng Yên 2027");
    write(f.dir.path(), "renewed-ca.pem", &renewed.pem);
    let before = client(f.addr(), f.dir.path(), "renewed-ca.pem", identity);
    assert!(get_unit(before).await.is_err(), "the old certificate is not the renewed CA's");
    let (cert, key) = renewed.issue(&localhost());
    write(f.dir.path(), "server.key", &key);
    write(f.dir.path(), "server.pem", &cert);
    eventually(WAIT, "the renewed certificate to be served", || async {
        get_unit(client(f.addr(), f.dir.path(), "renewed-ca.pem", identity)).await.ok()
    })
    .await;
    let old = client(f.addr(), f.dir.path(), "province-ca.pem", identity);
    assert!(get_unit(old).await.is_err(), "new connections get the renewed certificate");
}

#[test]
fn client_certificates_required_without_a_ca_are_refused_at_start() {
    let settings = testsuite::settings("doithoai_unused", "nats://127.0.0.1:4222");
    let tls = serde_json::json!({ "cert_file": "s.pem", "key_file": "s.key", "require_client_cert": true });
    let refused = settings.with("tls", tls).unwrap_err().to_string();
    assert!(refused.contains("tls.client_ca_file"), "{refused}");
}
