//! The deployment files: Kubernetes manifests valid against the Kubernetes
//! schemas (`kubernetes-validate`, installed by `.ci/run`), the Deployment's
//! required fields, the ConfigMap generated from `deploy/config.toml`, no
//! Secret in the base, credentials wired from the example overlay's Secret to
//! the variables the configuration names, and a
//! hardened systemd unit and image.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use kore_gitops::config::{Config, Env};
use serde_json::Value;

pub(super) fn deploy_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("deploy")
}

pub(super) fn read(relative: &str) -> String {
    let path = deploy_dir().join(relative);
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// True when `program --version` runs. Missing: a notice, or a failure in CI.
pub(super) fn tool_available(program: &str, required_in_ci: bool) -> bool {
    let runs = Command::new(program)
        .arg("--version")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|status| status.success());
    if !runs {
        if required_in_ci && std::env::var_os("CI").is_some() {
            panic!("{program} is missing and CI is set (.ci/run installs it)");
        }
        eprintln!("NOTICE: skipping: {program} is not installed");
    }
    runs
}

/// The schema validator; its PyYAML also turns the manifests into JSON here.
pub(super) fn validator() -> bool {
    tool_available("kubernetes-validate", true)
}

/// The documents of a YAML file as JSON (through PyYAML, which
/// kubernetes-validate depends on).
pub(super) fn yaml_documents(relative: &str) -> Vec<Value> {
    let script =
        "import json, sys, yaml; print(json.dumps(list(yaml.safe_load_all(open(sys.argv[1])))))";
    let path = deploy_dir().join(relative);
    let output = Command::new("python3")
        .args(["-c", script])
        .arg(&path)
        .output()
        .expect("python3 runs");
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    serde_json::from_slice(&output.stdout).expect("JSON from python")
}

pub(super) fn yaml_document(relative: &str) -> Value {
    let mut documents = yaml_documents(relative);
    assert_eq!(documents.len(), 1, "{relative}: one document");
    documents.remove(0)
}

pub(super) fn validate(input: &[u8], label: &str) {
    let mut child = Command::new("kubernetes-validate")
        .args(["--strict", "--quiet", "-"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("kubernetes-validate starts");
    child
        .stdin
        .take()
        .expect("stdin")
        .write_all(input)
        .expect("manifest written");
    let output = child.wait_with_output().expect("kubernetes-validate ends");
    let report = format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(
        output.status.success(),
        "{label} fails schema validation:\n{report}"
    );
    assert!(!report.contains("ERROR"), "{label}:\n{report}");
}

#[test]
fn every_manifest_of_the_kustomization_passes_schema_validation() {
    if !validator() {
        return;
    }
    let kustomization = yaml_document("kubernetes/kustomization.yaml");
    let resources: Vec<&str> = kustomization["resources"]
        .as_array()
        .expect("resources")
        .iter()
        .filter_map(Value::as_str)
        .collect();
    let mut kinds: Vec<String> = Vec::new();
    for resource in &resources {
        let text = read(&format!("kubernetes/{resource}"));
        validate(text.as_bytes(), resource);
        for document in yaml_documents(&format!("kubernetes/{resource}")) {
            kinds.push(document["kind"].as_str().unwrap_or_default().to_owned());
        }
    }
    kinds.sort();
    // No Secret in the base: an overlay (or the cluster) supplies it, so a
    // GitOps controller pointed at the base cannot overwrite the real one.
    assert_eq!(kinds, ["Deployment", "Service", "ServiceAccount"]);
    // The example overlay's placeholder Secret is valid too.
    validate(
        read("kubernetes/overlays/example/secret.yaml").as_bytes(),
        "overlays/example/secret.yaml",
    );
    // The built kustomization too, where kubectl is at hand.
    if tool_available("kubectl", false) {
        let built = Command::new("kubectl")
            .arg("kustomize")
            .arg(deploy_dir().join("kubernetes"))
            .output()
            .expect("kubectl runs");
        assert!(
            built.status.success(),
            "{}",
            String::from_utf8_lossy(&built.stderr)
        );
        validate(&built.stdout, "kubectl kustomize output");
    }
}

#[test]
fn the_schema_check_refuses_a_broken_manifest() {
    if !validator() {
        return;
    }
    let broken = read("kubernetes/deployment.yaml").replace("replicas: 1", "replicas: one");
    let result = std::panic::catch_unwind(|| validate(broken.as_bytes(), "broken"));
    assert!(
        result.is_err(),
        "a non-integer replica count must fail validation"
    );
}

#[test]
fn the_deployment_is_one_recreated_probed_locked_down_replica() {
    if !validator() {
        return;
    }
    let deployment = yaml_document("kubernetes/deployment.yaml");
    let spec = &deployment["spec"];
    assert_eq!(spec["replicas"], 1);
    assert_eq!(spec["strategy"]["type"], "Recreate");
    let pod = &spec["template"]["spec"];
    assert_eq!(pod["securityContext"]["runAsNonRoot"], true);
    assert_eq!(
        pod["securityContext"]["seccompProfile"]["type"],
        "RuntimeDefault"
    );
    assert_eq!(pod["automountServiceAccountToken"], false);
    assert_eq!(pod["serviceAccountName"], "kore-gitops");
    let containers = pod["containers"].as_array().expect("containers");
    assert_eq!(containers.len(), 1);
    let container = &containers[0];
    assert_eq!(container["livenessProbe"]["httpGet"]["path"], "/healthz");
    assert_eq!(container["readinessProbe"]["httpGet"]["path"], "/readyz");
    let context = &container["securityContext"];
    assert_eq!(context["runAsNonRoot"], true);
    assert_eq!(context["readOnlyRootFilesystem"], true);
    assert_eq!(context["allowPrivilegeEscalation"], false);
    assert_eq!(context["capabilities"]["drop"], serde_json::json!(["ALL"]));
    assert_eq!(context["seccompProfile"]["type"], "RuntimeDefault");
    for kind in ["requests", "limits"] {
        for resource in ["cpu", "memory"] {
            assert!(
                container["resources"][kind][resource].is_string(),
                "{kind}.{resource}"
            );
        }
    }
    let mounts: Vec<&str> = container["volumeMounts"]
        .as_array()
        .expect("mounts")
        .iter()
        .filter_map(|m| m["mountPath"].as_str())
        .collect();
    assert_eq!(mounts, ["/etc/kore-gitops", "/var/lib/kore-gitops", "/tmp"]);
    assert_eq!(
        container["args"],
        serde_json::json!(["run", "--config", "/etc/kore-gitops/config.toml"])
    );
}

/// `KEY_env = "VAR"` settings of the configuration: the variables it reads.
fn variables_named_by(config: &str) -> Vec<String> {
    config
        .lines()
        .filter_map(|line| line.split_once('='))
        .filter(|(key, _)| key.trim().ends_with("_env"))
        .map(|(_, value)| value.trim().trim_matches('"').to_owned())
        .collect()
}

#[test]
fn every_variable_the_config_names_comes_from_a_key_of_the_secret() {
    if !validator() {
        return;
    }
    let deployment = yaml_document("kubernetes/deployment.yaml");
    let secret = yaml_document("kubernetes/overlays/example/secret.yaml");
    let env = deployment["spec"]["template"]["spec"]["containers"][0]["env"]
        .as_array()
        .expect("env")
        .clone();
    for variable in variables_named_by(&read("config.toml")) {
        let entry = env
            .iter()
            .find(|e| e["name"] == variable.as_str())
            .unwrap_or_else(|| panic!("{variable} is not set in the Deployment"));
        let reference = &entry["valueFrom"]["secretKeyRef"];
        assert_eq!(reference["name"], secret["metadata"]["name"], "{variable}");
        let key = reference["key"].as_str().expect("key");
        assert_eq!(
            secret["stringData"][key], "REPLACE_ME",
            "{variable}: placeholder in {key}"
        );
    }
}

#[test]
fn the_configmap_is_generated_from_deploy_config_toml_and_it_loads() {
    let file = read("config.toml");
    assert_eq!(
        read("kubernetes/config.toml"),
        file,
        "kubernetes/config.toml and config.toml differ"
    );
    // Generated with a content hash in its name (kustomize's default, not
    // disabled): a configuration change gives the Deployment a new volume
    // source, which rolls the pod.
    if validator() {
        let kustomization = yaml_document("kubernetes/kustomization.yaml");
        let generated = &kustomization["configMapGenerator"][0];
        assert_eq!(generated["files"], serde_json::json!(["config.toml"]));
        assert!(kustomization.get("generatorOptions").is_none());
        let deployment = yaml_document("kubernetes/deployment.yaml");
        let volumes = &deployment["spec"]["template"]["spec"]["volumes"];
        let mounted = volumes
            .as_array()
            .expect("volumes")
            .iter()
            .find_map(|v| v["configMap"]["name"].as_str())
            .expect("a ConfigMap volume");
        assert_eq!(generated["name"], mounted);
    }
    let env = Env::from_pairs(
        variables_named_by(&file)
            .into_iter()
            .map(|name| (name, "placeholder-value".to_owned())),
    );
    let config = Config::parse(&file, "deploy/config.toml", &env)
        .unwrap_or_else(|e| panic!("deploy/config.toml: {e}"));
    assert!(config.daemon.webhook_secret.is_some() && config.daemon.trigger_token.is_some());
}

#[test]
fn the_systemd_unit_is_hardened() {
    let unit = read("systemd/kore-gitops.service");
    for directive in [
        "ExecStart=/usr/local/bin/kore-gitops run --config /etc/kore-gitops/config.toml",
        "DynamicUser=yes",
        "StateDirectory=kore-gitops",
        "ProtectSystem=strict",
        "NoNewPrivileges=yes",
        "CapabilityBoundingSet=\n",
        "RestartPreventExitStatus=64",
    ] {
        assert!(unit.contains(directive), "missing {directive:?}");
    }
    if !tool_available("systemd-analyze", false) {
        return;
    }
    // Offline exposure score (0 = locked down, 100 = none): at most 2.0 ("OK").
    let output = Command::new("systemd-analyze")
        .args(["security", "--offline=yes", "--threshold=20"])
        .arg(deploy_dir().join("systemd/kore-gitops.service"))
        .output()
        .expect("systemd-analyze runs");
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        output.status.success(),
        "exposure above 2.0:\n{}",
        String::from_utf8_lossy(&output.stdout)
    );
    assert!(
        !stderr.contains("Unknown"),
        "unit has unknown keys:\n{stderr}"
    );
}

#[test]
fn the_image_runs_as_non_root_with_state_in_a_volume() {
    let dockerfile = read("Dockerfile");
    assert!(dockerfile.contains("AS builder"), "multi-stage");
    assert!(
        dockerfile.contains("FROM debian:bookworm-slim"),
        "slim runtime"
    );
    for line in [
        "USER 10001:10001",
        "VOLUME [\"/var/lib/kore-gitops\"]",
        "ENTRYPOINT [\"kore-gitops\"]",
        "CMD [\"run\", \"--config\", \"/etc/kore-gitops/config.toml\"]",
    ] {
        assert!(dockerfile.lines().any(|l| l == line), "missing {line:?}");
    }
    let runtime = dockerfile
        .split("AS runtime")
        .nth(1)
        .expect("runtime stage");
    let installs = runtime
        .lines()
        .filter(|line| line.contains("apt-get install"))
        .collect::<Vec<_>>();
    assert_eq!(installs.len(), 1, "one install line in the runtime stage");
    let packages: Vec<&str> = installs[0].split_whitespace().collect();
    assert!(!packages.contains(&"git"), "no git in the runtime image");
    assert!(packages.contains(&"ca-certificates"), "{packages:?}");
}

/// The corporate-network overlay mounts the CA bundle where the variables it
/// sets point, and the base configuration loads with them: ca_file for git
/// and the platform, the proxy from HTTPS_PROXY, NO_PROXY honoured.
#[test]
fn the_corporate_network_overlay_sets_the_ca_file_and_proxy_the_configuration_reads() {
    if !validator() {
        return;
    }
    let overlay = "kubernetes/overlays/corporate-network";
    let kustomization = yaml_document(&format!("{overlay}/kustomization.yaml"));
    assert_eq!(
        kustomization["resources"],
        serde_json::json!(["../example"])
    );
    let patch = yaml_document(&format!("{overlay}/deployment-patch.yaml"));
    let container = &patch["spec"]["template"]["spec"]["containers"][0];
    let mount = container["volumeMounts"][0]["mountPath"].as_str().unwrap();
    let volume = &patch["spec"]["template"]["spec"]["volumes"][0];
    assert_eq!(volume["name"], container["volumeMounts"][0]["name"]);
    let ca = crate::support::tls::PrivateCa::new("Corp");
    let dir = tempfile::tempdir().unwrap();
    let root = ca.write_root(dir.path(), "ca.pem");
    let file = read("config.toml");
    let mut pairs: Vec<(String, String)> = variables_named_by(&file)
        .into_iter()
        .map(|name| (name, "placeholder-value".to_owned()))
        .collect();
    for entry in container["env"].as_array().unwrap() {
        let (name, value) = (
            entry["name"].as_str().unwrap(),
            entry["value"].as_str().unwrap(),
        );
        let value = match value.strip_prefix(mount) {
            // The mounted file, here a CA made for the test.
            Some(_) => root.display().to_string(),
            None => value.to_owned(),
        };
        pairs.push((name.to_owned(), value));
    }
    let config = Config::parse(&file, "deploy/config.toml", &Env::from_pairs(pairs))
        .unwrap_or_else(|e| panic!("deploy/config.toml with the overlay: {e}"));
    let platform = &config.platforms["default"].network;
    for network in [&config.git.network, platform] {
        assert_eq!(network.ca.as_ref().unwrap().path(), root);
    }
    let url = |u: &str| reqwest::Url::parse(u).unwrap();
    let proxy = platform.proxies.for_url(&url("https://bots.kore.ai/api"));
    assert_eq!(proxy.unwrap().to_string(), "http://proxy.corp.example:3128");
    assert_eq!(
        platform.proxies.for_url(&url("https://git.ns.svc/x.git")),
        None
    );
    assert_eq!(
        platform.proxies.for_url(&url("https://10.1.2.3/x.git")),
        None
    );
}
