//! Starting the simulator in-process and talking to it like a client would.

use std::path::{Path, PathBuf};
use std::time::{SystemTime, UNIX_EPOCH};

use jsonwebtoken::{Algorithm, EncodingKey, Header, encode};
use kore_gitops::sim::{AppCredential, RunningSim, SimConfig, SimOptions};
use serde_json::{Value, json};

/// Starts a simulator on a random loopback port with instant jobs.
pub async fn start_sim(seeds: &[PathBuf]) -> RunningSim {
    start_sim_with(seeds, SimConfig::instant()).await
}

/// Starts a simulator with an explicit configuration.
pub async fn start_sim_with(seeds: &[PathBuf], config: SimConfig) -> RunningSim {
    let listen = "127.0.0.1:0".parse().expect("loopback address");
    kore_gitops::sim::start(SimOptions {
        listen,
        seeds: seeds.to_vec(),
        config,
        tls: None,
    })
    .await
    .expect("simulator starts")
}

fn unix_now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .expect("clock after 1970")
        .as_secs()
}

/// Mints a token with `jsonwebtoken` (independent of the simulator's verifier).
pub fn mint_token(app: &AppCredential, jti: bool) -> String {
    let now = unix_now();
    let mut claims =
        json!({"appId": app.client_id, "sub": "kore-gitops-tests", "iat": now, "exp": now + 600});
    if jti {
        claims["jti"] = uuid::Uuid::new_v4().to_string().into();
    }
    mint_claims(&app.client_secret, &claims)
}

/// Mints a token with arbitrary claims.
pub fn mint_claims(secret: &str, claims: &Value) -> String {
    encode(
        &Header::new(Algorithm::HS256),
        claims,
        &EncodingKey::from_secret(secret.as_bytes()),
    )
    .expect("token encodes")
}

/// A client bound to one running simulator.
pub struct Client {
    pub http: reqwest::Client,
    pub base: String,
}

impl Client {
    pub fn new(sim: &RunningSim) -> Self {
        Self {
            http: reqwest::Client::new(),
            base: sim.base_url.clone(),
        }
    }

    /// `GET /api/public{path}` with a fresh token of `app`.
    pub async fn get(&self, app: &AppCredential, path: &str) -> reqwest::Response {
        let url = format!("{}/api/public{path}", self.base);
        self.http
            .get(url)
            .header("auth", mint_token(app, true))
            .send()
            .await
            .expect("request")
    }

    /// `POST /api/public{path}` with a JSON body and a fresh token of `app`.
    pub async fn post(&self, app: &AppCredential, path: &str, body: Value) -> reqwest::Response {
        let url = format!("{}/api/public{path}", self.base);
        let request = self.http.post(url).header("auth", mint_token(app, true));
        request.json(&body).send().await.expect("request")
    }

    /// A control call: `POST /_sim{path}`.
    pub async fn control(&self, path: &str, body: Value) -> reqwest::Response {
        let url = format!("{}/_sim{path}", self.base);
        let response = self
            .http
            .post(url)
            .json(&body)
            .send()
            .await
            .expect("control request");
        assert!(
            response.status().is_success(),
            "control {path}: {}",
            response.status()
        );
        response
    }

    /// Edits bot `id`'s live in-development copy directly, as a designer in
    /// the web UI would (`/_sim/bots/{id}/definition`).
    pub async fn edit_definition(&self, id: &str, edit: impl FnOnce(&mut Value)) {
        let mut definition = self
            .inspect(&format!("/bots/{id}/definition?copy=dev"))
            .await;
        edit(&mut definition);
        let url = format!("{}/_sim/bots/{id}/definition", self.base);
        let response = self.http.put(url).json(&definition).send().await.unwrap();
        assert!(response.status().is_success(), "{}", response.status());
    }

    /// A control read: `GET /_sim{path}`.
    pub async fn inspect(&self, path: &str) -> Value {
        let url = format!("{}/_sim{path}", self.base);
        let response = self.http.get(url).send().await.expect("control request");
        assert!(
            response.status().is_success(),
            "inspect {path}: {}",
            response.status()
        );
        response.json().await.expect("json")
    }

    /// Uploads one file and returns its file id.
    pub async fn upload(&self, app: &AppCredential, bytes: Vec<u8>, extension: &str) -> String {
        let form = reqwest::multipart::Form::new()
            .part(
                "file",
                reqwest::multipart::Part::bytes(bytes).file_name(format!("upload.{extension}")),
            )
            .text("fileContext", "bulkImport")
            .text("fileExtension", extension.to_owned());
        let url = format!("{}/api/public/uploadfile", self.base);
        let response = self
            .http
            .post(url)
            .header("auth", mint_token(app, true))
            .multipart(form)
            .send()
            .await
            .expect("upload");
        assert_eq!(response.status(), 200, "upload");
        let body: Value = response.json().await.expect("json");
        body["fileId"].as_str().expect("fileId").to_owned()
    }

    /// Exports a bot and downloads the archive (jobs must be instant).
    pub async fn export(&self, app: &AppCredential, bot: &str, export_type: &str) -> Vec<u8> {
        let path = format!("/bot/{bot}/export");
        let started = self
            .post(app, &path, json!({"exportType": export_type}))
            .await;
        assert_eq!(started.status(), 200, "export start");
        let status: Value = self
            .get(app, &format!("/bot/{bot}/export/status"))
            .await
            .json()
            .await
            .expect("json");
        assert_eq!(status["status"], "success", "export status {status}");
        let url = status["downloadURL"].as_str().expect("downloadURL");
        let response = self.http.get(url).send().await.expect("download");
        assert_eq!(response.status(), 200, "download");
        response.bytes().await.expect("bytes").to_vec()
    }
}

/// The root entries of an export zip, by name.
pub fn unzip(bytes: &[u8]) -> Vec<(String, Vec<u8>)> {
    use std::io::Read;
    let mut archive = zip::ZipArchive::new(std::io::Cursor::new(bytes)).expect("valid zip");
    (0..archive.len())
        .map(|i| {
            let mut file = archive.by_index(i).expect("entry");
            let mut data = Vec::new();
            file.read_to_end(&mut data).expect("entry bytes");
            (file.name().expect("entry name").into_owned(), data)
        })
        .collect()
}

/// The parsed JSON entry `name` of an export zip.
pub fn zip_json(bytes: &[u8], name: &str) -> Value {
    let entries = unzip(bytes);
    let (_, data) = entries
        .iter()
        .find(|(n, _)| n == name)
        .unwrap_or_else(|| panic!("no {name} in zip"));
    serde_json::from_slice(data).expect("entry is JSON")
}

/// Writes a small synthetic bot holding every volatile field into `dir/name`.
pub fn write_synthetic_bot(dir: &Path, name: &str) -> PathBuf {
    let folder = dir.join(name);
    std::fs::create_dir_all(&folder).expect("bot folder");
    std::fs::write(
        folder.join("botDefinition.json"),
        synthetic_definition().to_string(),
    )
    .expect("definition");
    let config = json!({"name": format!("{name} bot"), "envVariables": [
        {"key": "apiKey", "value": "sim-variable-value-7f3a", "variableType": "env", "isSecured": true}
    ]});
    std::fs::write(folder.join("config.json"), config.to_string()).expect("config");
    std::fs::write(folder.join("icon.png"), [0x89, b'P', b'N', b'G']).expect("icon");
    std::fs::write(folder.join("bot.toml"), "bot_id = \"ignored\"\n").expect("bot.toml");
    folder
}

fn synthetic_definition() -> Value {
    let dialog = |n: u32| json!({"_id": format!("dg-{n}"), "refId": format!("ref-{n}"), "lname": format!("dialog {n}")});
    let sentence = |n: u32| json!({"_id": format!("64cd03cbaa0c06302700000{n}"), "taskId": "dc-1", "sentence": format!("utterance {n}"), "language": "en"});
    let scene = |n: u32| {
        json!({"_id": format!("sn-{n}"), "name": format!("scene {n}"),
        "components": {format!("snc-{n}"): {"childs": [], "parentId": null, "seqId": "Id1"}},
        "dialogLinks": {format!("snc-{n}"): {"dialogRefId": format!("ref-{n}")}}})
    };
    json!({
        "_id": "st-synthetic", "refId": "bot-ref", "name": "synthetic", "defaultLanguage": "en",
        "encryptedHash": "5d3158aba9a330571bc5823f47ff2bb8",
        "exportOptions": {"tasks": ["botTask"]},
        "environmentVersionInfo": "9.1.7",
        "localeData": {"en": {"name": "synthetic", "nlMeta": {"mlUtterances": 3, "patterns": 0, "synonyms": 7}}},
        "dialogs": [dialog(1), dialog(2), dialog(3)],
        "sentences": [sentence(1), sentence(2), sentence(3)],
        "scenes": [scene(1), scene(2), scene(3)],
        "sceneComponents": [{"_id": "snc-1", "sceneId": "sn-1", "type": "note"}],
        "smallTalk": [{"language": "en", "groups": [{"groupName": "greetings", "groupId": "smg-1",
            "nodes": [{"userUtterances": [{"text": "hi"}], "botUtterances": [{"text": "hello", "_id": "mt-1"}]}]}]}],
        "botEvents": {"TASK_FAILURE_EVENT": {"enabled": true, "msg": [{"text": "sorry", "createdBy": "u-1",
            "lMod": "Mon Jun 20 2022 06:19:15 GMT+0000 (Coordinated Universal Time)", "lModBy": "u-1"}]}},
        "advancedNLSettings": [{"_id": "anls-1", "lastModifiedOn": "2023-06-13T10:27:02.409Z"}],
        "namespaces": [{"_id": "ns-1", "createdOn": "2023-06-13T10:27:02.409Z", "lModifiedOn": "2023-06-13T10:27:02.409Z"}],
        "traits": [{"_id": "ta-1", "createdOn": "2023-06-13T10:27:02.409Z", "modifiedOn": "2023-06-13T10:27:02.409Z"}],
        "customDashboards": [{"_id": "cd-1", "createdOn": "2023-06-13T10:27:02.409Z", "lMod": "2023-06-13T10:27:02.409Z", "lModBy": "u-1"}],
    })
}

/// Starts a simulator with instant jobs that speaks HTTPS with `identity`.
pub async fn start_sim_tls(
    seeds: &[PathBuf],
    identity: kore_gitops::sim::TlsIdentity,
) -> RunningSim {
    kore_gitops::sim::start(SimOptions {
        listen: "127.0.0.1:0".parse().expect("loopback address"),
        seeds: seeds.to_vec(),
        config: SimConfig::instant(),
        tls: Some(identity),
    })
    .await
    .expect("simulator starts")
}
