//! The province's deployment (`deploy/k8s`), checked offline: every overlay
//! renders with `kubectl kustomize` and validates against the Kubernetes
//! schemas (`kubernetes-validate --strict`); every workload has its probes,
//! resources, locked-down security context, disruption budget, autoscaler and
//! network policy; and every port, address and name in the manifests agrees
//! with what the services read from their settings, mutual TLS included.
#![allow(clippy::unwrap_used)]

use std::{
    collections::{BTreeMap, BTreeSet},
    path::PathBuf,
    process::Command,
};

use doithoai_runtime::Settings;
use doithoai_runtime::settings::Ports;
use doithoai_tests::repo_root;
use figment::providers::{Format, Toml};
use serde::Deserialize;
use serde_json::Value;

const OVERLAYS: [&str; 2] = ["province", "staging"];

/// The kinds no Kubernetes schema covers: the operators' own (CloudNativePG,
/// the Prometheus Operator, cert-manager), checked here by the tests below instead.
const CUSTOM_KINDS: [&str; 7] =
    ["Cluster", "ScheduledBackup", "ServiceMonitor", "PodMonitor", "PrometheusRule", "Certificate", "Issuer"];

/// What the operator of a province provides before applying an overlay
/// (docs/operations.md, "Before the first deployment"): the Secrets and the
/// token key's ConfigMap, the province's CA. CloudNativePG makes each
/// `<cluster>-app` Secret, cert-manager each Certificate's.
const PROVIDED: [(&str, &str); 7] = [
    ("ConfigMap", "doithoai-trust"),
    ("Secret", "doithoai-ca"),
    ("Secret", "doithoai-privacy"),
    ("Secret", "doithoai-web"),
    ("Secret", "doithoai-backup"),
    ("Secret", "web-tls"),
    ("Secret", "nats-national"),
];

/// The gRPC services, as their crates name them and listen by default.
const SERVICES: [(&str, Ports); 4] = [
    (doithoai_scheduling::SERVICE, doithoai_scheduling::PORTS),
    (doithoai_participants::SERVICE, doithoai_participants::PORTS),
    (doithoai_minutes::SERVICE, doithoai_minutes::PORTS),
    (doithoai_deadlines::SERVICE, doithoai_deadlines::PORTS),
];

fn k8s() -> PathBuf {
    repo_root().join("deploy/k8s")
}

/// The objects an overlay renders, as JSON values.
fn render(overlay: &str) -> (String, Vec<Value>) {
    let output = Command::new("kubectl")
        .args(["kustomize", &k8s().join("overlays").join(overlay).to_string_lossy()])
        .output()
        .unwrap_or_else(|e| panic!("cannot run kubectl ({e}): the machine's kubectl renders kustomize"));
    assert!(output.status.success(), "kubectl kustomize {overlay}: {}", String::from_utf8_lossy(&output.stderr));
    let yaml = String::from_utf8(output.stdout).unwrap();
    let objects = serde_norway::Deserializer::from_str(&yaml).map(|d| Value::deserialize(d).unwrap()).collect();
    (yaml, objects)
}

struct Objects(Vec<Value>);

impl Objects {
    fn of(overlay: &str) -> Self {
        Objects(render(overlay).1)
    }

    fn kind<'a>(&'a self, kind: &'a str) -> impl Iterator<Item = &'a Value> + 'a {
        self.0.iter().filter(move |o| o["kind"] == kind)
    }

    fn get(&self, kind: &str, name: &str) -> &Value {
        self.0
            .iter()
            .filter(|o| o["kind"] == kind)
            .find(|o| o["metadata"]["name"] == name)
            .unwrap_or_else(|| panic!("no {kind} {name}"))
    }

    /// The workloads: Deployments and the NATS StatefulSet.
    fn workloads(&self) -> impl Iterator<Item = &Value> {
        self.kind("Deployment").chain(self.kind("StatefulSet"))
    }
}

fn name(object: &Value) -> &str {
    object["metadata"]["name"].as_str().unwrap()
}

/// Whether a `matchLabels` selector selects pods with `labels`.
fn selects(selector: &Value, labels: &Value) -> bool {
    let wanted = selector["matchLabels"].as_object();
    wanted.is_some_and(|w| !w.is_empty() && w.iter().all(|(k, v)| &labels[k] == v))
}

fn port_of(container: &Value, port: &str) -> u64 {
    let ports = container["ports"].as_array().unwrap();
    let found = ports.iter().find(|p| p["name"] == port).unwrap_or_else(|| panic!("no port {port}"));
    found["containerPort"].as_u64().unwrap()
}

#[test]
fn every_overlay_renders_and_validates_against_the_kubernetes_schemas() {
    let validate = std::env::var_os("KUBERNETES_VALIDATE")
        .map(PathBuf::from)
        .unwrap_or_else(|| repo_root().join("deploy/local/.run/venv/bin/kubernetes-validate"));
    assert!(
        validate.exists(),
        "no kubernetes-validate at {}: run deploy/local/test, which installs it",
        validate.display()
    );
    let dir = tempfile::tempdir().unwrap();
    for overlay in OVERLAYS {
        let (yaml, objects) = render(overlay);
        assert!(objects.len() > 40, "{overlay} renders {} objects", objects.len());
        let file = dir.path().join(format!("{overlay}.yaml"));
        std::fs::write(&file, yaml).unwrap();
        let output = Command::new(&validate).args(["-k", "1.32.0", "--strict"]).arg(&file).output().unwrap();
        let text = format!("{}{}", String::from_utf8_lossy(&output.stdout), String::from_utf8_lossy(&output.stderr));
        assert!(output.status.success() && !text.contains("ERROR"), "{overlay}:\n{text}");
        // Only the operators' kinds go without a schema.
        let unchecked: BTreeSet<&str> = text
            .lines()
            .filter_map(|l| l.split("Couldn't find schema for kind ").nth(1))
            .map(|rest| rest.split(' ').next().unwrap())
            .collect();
        assert!(unchecked.iter().all(|k| CUSTOM_KINDS.contains(k)), "{overlay}: no schema for {unchecked:?}");
        let passed = text.lines().filter(|l| l.contains(" passed for resource ")).count();
        assert_eq!(passed + text.matches("Couldn't find schema").count(), objects.len(), "{overlay}:\n{text}");
    }
    // The operations jobs, applied by hand, validate too.
    let jobs = k8s().join("jobs/import-units.yaml");
    let output = Command::new(&validate).args(["-k", "1.32.0", "--strict"]).arg(&jobs).output().unwrap();
    let text = String::from_utf8_lossy(&output.stdout);
    assert!(output.status.success() && text.contains("passed for resource job/"), "{text}");
}

#[test]
fn every_workload_has_probes_resources_a_locked_down_context_a_budget_and_a_policy() {
    for overlay in OVERLAYS {
        let objects = Objects::of(overlay);
        let workloads: Vec<&Value> = objects.workloads().collect();
        assert_eq!(workloads.len(), 6, "{overlay}: five Deployments and the NATS StatefulSet");
        let deny = objects.get("NetworkPolicy", "default-deny");
        assert_eq!(deny["spec"]["podSelector"], serde_json::json!({}));
        assert_eq!(deny["spec"]["policyTypes"], serde_json::json!(["Ingress", "Egress"]));
        let namespace = objects.kind("Namespace").next().unwrap();
        assert_eq!(namespace["metadata"]["labels"]["pod-security.kubernetes.io/enforce"], "restricted");

        for workload in workloads {
            let (who, pod) = (format!("{overlay}: {}", name(workload)), &workload["spec"]["template"]);
            let labels = &pod["metadata"]["labels"];
            let spec = &pod["spec"];
            assert_eq!(spec["securityContext"]["runAsNonRoot"], true, "{who}");
            assert_eq!(spec["securityContext"]["seccompProfile"]["type"], "RuntimeDefault", "{who}");
            assert_eq!(spec["automountServiceAccountToken"], false, "{who}");
            for container in spec["containers"].as_array().unwrap() {
                let who = format!("{who}/{}", container["name"]);
                let is_main = container["name"] == workload["metadata"]["name"];
                if is_main {
                    assert!(container["readinessProbe"].is_object(), "{who}: readiness probe");
                    assert!(container["livenessProbe"].is_object(), "{who}: liveness probe");
                }
                for what in ["requests", "limits"] {
                    let resources = &container["resources"][what];
                    assert!(resources["memory"].is_string(), "{who}: memory {what}");
                    assert!(resources["cpu"].is_string(), "{who}: cpu {what}");
                }
                let context = &container["securityContext"];
                assert_eq!(context["allowPrivilegeEscalation"], false, "{who}");
                assert_eq!(context["readOnlyRootFilesystem"], true, "{who}");
                assert_eq!(context["capabilities"]["drop"], serde_json::json!(["ALL"]), "{who}");
            }
            let budget = objects.kind("PodDisruptionBudget").find(|b| selects(&b["spec"]["selector"], labels));
            assert!(budget.is_some(), "{who}: a PodDisruptionBudget");
            if workload["kind"] == "Deployment" {
                // Drained before it stops: a rolling update keeps serving.
                let main = &spec["containers"][0];
                assert!(main["lifecycle"]["preStop"]["sleep"]["seconds"].as_u64() >= Some(5), "{who}: drained");
                let strategy = &workload["spec"]["strategy"]["rollingUpdate"];
                assert_eq!(strategy["maxUnavailable"], 0, "{who}: never fewer pods than wanted");
                let autoscaled = objects.kind("HorizontalPodAutoscaler").any(|h| {
                    h["spec"]["scaleTargetRef"]["kind"] == "Deployment"
                        && h["spec"]["scaleTargetRef"]["name"] == name(workload)
                });
                assert!(autoscaled, "{who}: a HorizontalPodAutoscaler");
            }
            let policy = objects.kind("NetworkPolicy").find(|p| selects(&p["spec"]["podSelector"], labels));
            let policy = policy.unwrap_or_else(|| panic!("{who}: a NetworkPolicy of its own"));
            assert!(policy["spec"]["ingress"].is_array() && policy["spec"]["egress"].is_array(), "{who}");
        }
    }
}

/// A service's settings as its pods load them: the defaults for its ports,
/// the ConfigMap's `config.toml` mounted at `DOITHOAI_CONFIG`, and the
/// Secrets' values as the environment gives them.
fn settings_of(objects: &Objects, deployment: &Value, ports: Ports, secrets: &[(&str, &str)]) -> Settings {
    let spec = &deployment["spec"]["template"]["spec"];
    let container = &spec["containers"][0];
    let env: BTreeMap<&str, &Value> =
        container["env"].as_array().unwrap().iter().map(|e| (e["name"].as_str().unwrap(), e)).collect();
    let config = env["DOITHOAI_CONFIG"]["value"].as_str().unwrap();
    let mounts = container["volumeMounts"].as_array().unwrap();
    let mount = mounts.iter().find(|m| config.starts_with(m["mountPath"].as_str().unwrap())).unwrap();
    let volume = spec["volumes"].as_array().unwrap().iter().find(|v| v["name"] == mount["name"]).unwrap();
    let map = objects.get("ConfigMap", volume["configMap"]["name"].as_str().unwrap());
    let file = config.rsplit('/').next().unwrap();
    let mut figment = Settings::defaults(ports).merge(Toml::string(map["data"][file].as_str().unwrap()));
    for (variable, value) in secrets {
        assert!(env.contains_key(variable), "{}: {variable} is set", name(deployment));
        let key = variable.trim_start_matches("DOITHOAI_").to_lowercase().replace("__", ".");
        figment = figment.merge((key, *value));
    }
    let settings = Settings::from_figment(figment).unwrap_or_else(|e| panic!("{}: {e:#}", name(deployment)));
    // The key that verifies tokens and the TLS files are mounted.
    let tls = settings.tls.iter().flat_map(|t| [Some(&t.cert_file), Some(&t.key_file), t.client_ca_file.as_ref()]);
    let client = &settings.client_tls;
    let client = [client.ca_file.as_ref(), client.cert_file.as_ref(), client.key_file.as_ref()];
    let files = tls.chain(client).flatten().chain(settings.auth.public_key_file.as_ref());
    for file in files {
        assert!(mounts.iter().any(|m| file.starts_with(m["mountPath"].as_str().unwrap())), "{file:?} is mounted");
    }
    settings
}

/// The Service port that an address such as `http://participants:7062` or
/// `nats://nats:4222` reaches, by the port's name.
fn service_port_name<'a>(objects: &'a Objects, address: &str) -> &'a str {
    let (host, port) = address.split("://").nth(1).unwrap().split_once(':').unwrap();
    let service = objects.get("Service", host);
    let ports = service["spec"]["ports"].as_array().unwrap();
    let found = ports.iter().find(|p| p["port"].as_u64() == Some(port.parse().unwrap()));
    found.unwrap_or_else(|| panic!("Service {host} has no port {port}"))["name"].as_str().unwrap()
}

#[test]
fn every_port_address_and_name_agrees_with_the_services_settings() {
    let objects = Objects::of("province");
    let nats_replicas = objects.get("StatefulSet", "nats")["spec"]["replicas"].as_u64().unwrap();
    assert_eq!(nats_replicas, 3);
    for (service, ports) in SERVICES {
        let deployment = objects.get("Deployment", service);
        let mut secrets = vec![("DOITHOAI_DATABASE__URL", "postgresql://doithoai:secret@db-rw:5432/app")];
        if service == doithoai_participants::SERVICE {
            secrets.push(("DOITHOAI_PRIVACY__IDENTITY_KEY", "a-secret-of-sixteen-or-more"));
        }
        let settings = settings_of(&objects, deployment, ports, &secrets);
        let container = &deployment["spec"]["template"]["spec"]["containers"][0];
        assert_eq!(container["command"][0], format!("/usr/local/bin/doithoai-{service}"));

        // The ports it listens on are its own defaults, its container's and its Service's.
        let service_object = objects.get("Service", service);
        let service_port = |port: &str| {
            let ports = service_object["spec"]["ports"].as_array().unwrap();
            ports.iter().find(|p| p["name"] == port).map(|p| (p["port"].as_u64().unwrap(), p["targetPort"].clone()))
        };
        let listens =
            [("grpc", settings.grpc_addr.port(), ports.grpc), ("metrics", settings.metrics_addr.port(), ports.metrics)];
        for (port, setting, default) in listens {
            assert_eq!((setting, port_of(container, port)), (default, u64::from(default)), "{service} {port}");
            assert_eq!(service_port(port), Some((u64::from(default), Value::from(port))), "{service} {port}");
        }
        assert!(settings.grpc_addr.ip().is_unspecified(), "{service} listens on the pod's address");
        if service == doithoai_scheduling::SERVICE {
            assert_eq!(
                (settings.public_addr.port(), port_of(container, "public")),
                (ports.public, u64::from(ports.public))
            );
        }
        // Mutual TLS with the province's certificates, which cert-manager issues
        // for the service's name; the probes ask health on its plaintext port.
        let tls = settings.tls.as_ref().unwrap_or_else(|| panic!("{service} serves TLS"));
        assert!(tls.require_client_cert && tls.client_ca_file.is_some(), "{service}: mutual TLS");
        let volumes = deployment["spec"]["template"]["spec"]["volumes"].as_array().unwrap();
        let secret = volumes.iter().find(|v| v["name"] == "tls").unwrap()["secret"]["secretName"].as_str().unwrap();
        let certificate = objects.kind("Certificate").find(|c| c["spec"]["secretName"] == secret).unwrap();
        assert!(certificate["spec"]["dnsNames"].as_array().unwrap().iter().any(|n| n == service), "{service}");
        let health = settings.health_addr.unwrap_or_else(|| panic!("{service}: a port for the probes"));
        assert_eq!(port_of(container, "health"), u64::from(health.port()), "{service}");
        for probe in ["readinessProbe", "livenessProbe"] {
            assert_eq!(container[probe]["grpc"]["port"].as_u64(), Some(u64::from(health.port())), "{service} {probe}");
        }

        // Its database: its CloudNativePG cluster bootstraps the database it
        // connects to, and the URL comes from that cluster's Secret.
        let cluster = objects.get("Cluster", &format!("{service}-db"));
        assert_eq!(cluster["spec"]["bootstrap"]["initdb"]["database"], settings.database_name(service));
        assert_eq!(cluster["spec"]["instances"], 2, "{service}: a primary and a standby");
        let url = container["env"].as_array().unwrap().iter().find(|e| e["name"] == "DOITHOAI_DATABASE__URL").unwrap();
        assert_eq!(url["valueFrom"]["secretKeyRef"]["name"], format!("{service}-db-app"));
        assert!(objects.kind("ScheduledBackup").any(|b| b["spec"]["cluster"]["name"] == name(cluster)), "{service}");

        // NATS: the client Service, and streams replicated on every node.
        assert_eq!(service_port_name(&objects, &settings.nats.url), "client");
        assert_eq!(settings.nats.stream_replicas as u64, nats_replicas, "{service}");
        if service == doithoai_minutes::SERVICE {
            let own: Value = settings.section("minutes").unwrap();
            let participants = own["participants_addr"].as_str().unwrap();
            assert!(participants.starts_with("https://"), "{participants}");
            assert_eq!(service_port_name(&objects, participants), "grpc");
            assert!(settings.client_tls.cert_file.is_some(), "the minutes calls with its certificate");
        }
    }

    // The web: its pages on its container's port, and each service's address a Service's gRPC port.
    let web = objects.get("Deployment", doithoai_web::SERVICE);
    let secrets = [("DOITHOAI_WEB__COOKIE_KEY", "k"), ("DOITHOAI_WEB__PORTAL_TOKEN", "t")];
    let settings = settings_of(&objects, web, doithoai_web::PORTS, &secrets);
    let own = doithoai_web::WebSettings::from(&settings.with("auth.root_unit", "33").unwrap()).unwrap();
    assert!(own.secure_cookies && own.behind_proxy, "behind the Ingress's TLS");
    for address in [&own.scheduling_addr, &own.participants_addr, &own.minutes_addr, &own.deadlines_addr] {
        assert!(address.starts_with("https://"), "{address}");
        assert_eq!(service_port_name(&objects, address), "grpc", "{address}");
    }
    assert!(settings.client_tls.cert_file.is_some(), "the web calls with its certificate");
    let container = &web["spec"]["template"]["spec"]["containers"][0];
    assert_eq!(port_of(container, "http"), u64::from(settings.public_addr.port()));
    assert_eq!(port_of(container, "metrics"), u64::from(settings.metrics_addr.port()));
    let ingress = objects.get("Ingress", "web");
    assert!(ingress["spec"]["tls"][0]["secretName"].is_string(), "the pages over TLS");
    for path in ingress["spec"]["rules"][0]["http"]["paths"].as_array().unwrap() {
        let backend = &path["backend"]["service"];
        let target = objects.get("Service", backend["name"].as_str().unwrap());
        let named = target["spec"]["ports"].as_array().unwrap().iter().any(|p| p["name"] == backend["port"]["name"]);
        assert!(named, "the Ingress's {} reaches a port of {}", path["path"], backend["name"]);
    }
}

#[test]
fn everything_referenced_is_rendered_or_provided_by_the_operator() {
    let mut used = BTreeSet::new();
    for overlay in OVERLAYS {
        let objects = Objects::of(overlay);
        let mut referenced = BTreeSet::new();
        for object in &objects.0 {
            collect_references(object, &mut referenced);
        }
        for (kind, name) in &referenced {
            let rendered = objects.kind(kind).any(|o| o["metadata"]["name"] == name.as_str());
            let by_cnpg = kind == "Secret"
                && name
                    .strip_suffix("-app")
                    .is_some_and(|c| objects.kind("Cluster").any(|o| o["metadata"]["name"] == c));
            let by_cert_manager =
                kind == "Secret" && objects.kind("Certificate").any(|c| c["spec"]["secretName"] == name.as_str());
            let provided = PROVIDED.contains(&(kind.as_str(), name.as_str()));
            let made = by_cnpg || by_cert_manager;
            assert!(rendered || made || provided, "{overlay}: {kind} {name} is neither rendered nor provided");
        }
        used.extend(referenced);
    }
    for provided in PROVIDED {
        assert!(used.contains(&(provided.0.to_owned(), provided.1.to_owned())), "{provided:?} is still used");
    }
}

/// Every Secret and ConfigMap an object names: in env, volumes, TLS and credentials.
fn collect_references(value: &Value, into: &mut BTreeSet<(String, String)>) {
    match value {
        Value::Object(map) => {
            for (key, inner) in map {
                let kind = match key.as_str() {
                    "secretKeyRef" | "secret" if inner["name"].is_string() || inner["secretName"].is_string() => {
                        Some("Secret")
                    }
                    "configMapKeyRef" | "configMap" if inner["name"].is_string() => Some("ConfigMap"),
                    "accessKeyId" | "secretAccessKey" => Some("Secret"),
                    _ => None,
                };
                if let Some(kind) = kind {
                    let name = inner["name"].as_str().or(inner["secretName"].as_str()).unwrap();
                    into.insert((kind.to_owned(), name.to_owned()));
                }
                if key == "secretName"
                    && let Some(name) = inner.as_str()
                {
                    into.insert(("Secret".to_owned(), name.to_owned()));
                }
                collect_references(inner, into);
            }
        }
        Value::Array(items) => items.iter().for_each(|i| collect_references(i, into)),
        _ => {}
    }
}

#[test]
fn the_monitoring_component_holds_the_alert_rules_and_scrapes_every_service() {
    let objects = Objects::of("province");
    let rule = objects.get("PrometheusRule", "doithoai");
    let alerts: Value =
        serde_norway::from_str(&std::fs::read_to_string(repo_root().join("deploy/monitoring/alerts.yml")).unwrap())
            .unwrap();
    assert_eq!(rule["spec"], alerts, "deploy/monitoring/k8s/prometheusrule.yaml holds alerts.yml's groups");
    let dashboards = objects.get("ConfigMap", "doithoai-dashboards");
    assert_eq!(dashboards["metadata"]["labels"]["grafana_dashboard"], "1");
    for file in std::fs::read_dir(repo_root().join("deploy/monitoring/dashboards")).unwrap() {
        let file = file.unwrap().file_name().into_string().unwrap();
        assert!(dashboards["data"][&file].is_string(), "the dashboard {file}");
    }
    for service in SERVICES.map(|(s, _)| s).into_iter().chain([doithoai_web::SERVICE]) {
        let monitor = objects.get("ServiceMonitor", service);
        let target = objects.get("Service", service);
        assert!(selects(&monitor["spec"]["selector"], &target["metadata"]["labels"]), "{service}");
        let port = &monitor["spec"]["endpoints"][0]["port"];
        assert!(target["spec"]["ports"].as_array().unwrap().iter().any(|p| &p["name"] == port), "{service}");
    }
    let nats = objects.get("StatefulSet", "nats");
    let exporter = &nats["spec"]["template"]["spec"]["containers"][1];
    let pod_monitor = objects.get("PodMonitor", "nats");
    assert_eq!(pod_monitor["spec"]["podMetricsEndpoints"][0]["port"], "metrics");
    assert_eq!(port_of(exporter, "metrics"), 7777);
    for cluster in objects.kind("Cluster") {
        assert_eq!(cluster["spec"]["monitoring"]["enablePodMonitor"], true, "{}", name(cluster));
    }
}

/// Every binary the Deployments and jobs run is one the image builds and copies.
#[test]
fn the_image_holds_every_binary_the_manifests_run() {
    let containerfile = std::fs::read_to_string(repo_root().join("deploy/Containerfile")).unwrap();
    let copy = containerfile.split("&& cp ").nth(1).and_then(|rest| rest.split("/out/").next()).unwrap();
    let copied: BTreeSet<&str> = copy.split_whitespace().filter(|w| *w != "\\").collect();
    let jobs = std::fs::read_to_string(k8s().join("jobs/import-units.yaml")).unwrap();
    let job = Value::deserialize(serde_norway::Deserializer::from_str(&jobs)).unwrap();
    let objects = Objects::of("province");
    let pods = objects
        .workloads()
        .filter(|w| w["kind"] == "Deployment")
        .map(|w| &w["spec"]["template"])
        .chain([&job["spec"]["template"]]);
    for pod in pods {
        let command = pod["spec"]["containers"][0]["command"][0].as_str().unwrap();
        let binary =
            command.strip_prefix("/usr/local/bin/").unwrap_or_else(|| panic!("{command} is in /usr/local/bin"));
        assert!(copied.contains(binary), "the image copies {binary}: {copied:?}");
    }
}

#[test]
fn the_nats_configuration_of_each_overlay_is_valid_for_nats_server() {
    let ca = rcgen::generate_simple_self_signed(["doithoai-test-ca".to_owned()]).unwrap();
    for overlay in OVERLAYS {
        let objects = Objects::of(overlay);
        let folder = tempfile::tempdir().unwrap();
        let config = objects.kind("ConfigMap").find(|c| name(c).starts_with("nats-config")).unwrap();
        let national = folder.path().join("national");
        std::fs::create_dir(&national).unwrap();
        std::fs::write(national.join("ca.crt"), ca.cert.pem()).unwrap();
        for (file, text) in config["data"].as_object().unwrap() {
            // The Secret's mount, here.
            let text = text.as_str().unwrap().replace("/etc/nats-national", national.to_str().unwrap());
            std::fs::write(folder.path().join(file), text).unwrap();
        }
        let statefulset = objects.get("StatefulSet", "nats");
        let env = statefulset["spec"]["template"]["spec"]["containers"][0]["env"].as_array().unwrap();
        let domain_key = env.iter().find(|e| e["name"] == "JETSTREAM_DOMAIN").unwrap()["valueFrom"]["configMapKeyRef"]
            ["key"]
            .as_str()
            .unwrap();
        let province = objects.kind("ConfigMap").find(|c| name(c).starts_with("doithoai-province")).unwrap();
        let domain = province["data"][domain_key].as_str().unwrap();
        let out = Command::new(doithoai_runtime::testsuite::nats_server_binary())
            .args(["-t", "-c"])
            .arg(folder.path().join("nats.conf"))
            .env("SERVER_NAME", "nats-0")
            .env("JETSTREAM_DOMAIN", domain)
            .output()
            .unwrap();
        let said = format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
        assert!(out.status.success(), "{overlay}: {said}");
        let linked = config["data"]["national.conf"].as_str().unwrap().contains("remotes");
        assert_eq!(linked, overlay.ends_with("province"), "{overlay}: only the province is the hub's leaf node");
    }
}
