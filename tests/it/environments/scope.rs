//! A daemon limited to some environments never calls another's platform;
//! a bot kept by the target keeps its own value.

use kore_gitops::status::Phase;
use serde_json::Value;

use super::secrets::{SETTINGS, write_variables};
use super::world::{Accounts, PROD_OWN_KEY, report};
use crate::reconcile::world::counters;

#[tokio::test]
async fn a_daemon_for_prod_only_makes_no_call_to_the_dev_platform() {
    let accounts = Accounts::start(SETTINGS).await;
    write_variables(&accounts);
    accounts.commit_all("values");
    accounts.daemon_setting("environments = [\"prod\"]");
    let reports = accounts.sync().await;
    let keys: Vec<&str> = reports.iter().map(|r| r.bot.as_str()).collect();
    assert_eq!(keys, ["travel-desk/prod"]);
    let status = report(&reports, "travel-desk/prod")
        .status
        .as_ref()
        .unwrap();
    assert_eq!(status.phase, Phase::Synced, "{status:?}");
    let dev_log: Value = accounts.dev_control.inspect("/requests").await;
    assert_eq!(dev_log.as_array().unwrap().len(), 0, "{dev_log}");
    let prod_log: Value = accounts.prod_control.inspect("/requests").await;
    assert!(!prod_log.as_array().unwrap().is_empty());
}

#[tokio::test]
async fn a_kept_variable_keeps_the_target_bots_own_value() {
    let accounts = Accounts::start(SETTINGS).await;
    accounts.write(
        "variables.prod.toml",
        "keep = [\"API_KEY\"]\n[values]\nAPI_BASE_URL = \"https://prod\"\n",
    );
    accounts.commit_all("prod keeps its own API key");
    let first = accounts.sync().await;
    let status = report(&first, "travel-desk/prod").status.as_ref().unwrap();
    assert_eq!(status.phase, Phase::Synced, "{status:?}");
    let prod = accounts.production().await;
    assert_eq!(prod["variables"]["API_BASE_URL"], "https://prod");
    assert_eq!(
        prod["variables"]["API_KEY"], PROD_OWN_KEY,
        "the bot kept its own key"
    );
    let imports = counters(&prod).0;
    accounts.sync().await;
    assert_eq!(
        counters(&accounts.production().await).0,
        imports,
        "no re-import"
    );
}

#[tokio::test]
async fn an_observed_environment_reports_a_difference_and_is_never_imported() {
    let settings = SETTINGS.replace(
        "[environments.staging]\n",
        "[environments.staging]\ndrift = \"observe\"\n",
    );
    let accounts = Accounts::start(&settings).await;
    accounts.commit_definition("an utterance", |d| {
        d["sentences"][0]["sentence"] = "a designer's bot is left alone".into();
    });
    let reports = accounts.sync().await;
    let status = report(&reports, "travel-desk/staging")
        .status
        .as_ref()
        .unwrap();
    assert_eq!(status.phase, Phase::Drifted, "{status:?}");
    assert!(status.summary.contains("utterances"), "{}", status.summary);
    assert_eq!(
        counters(&accounts.staging().await),
        (0, 0, 0),
        "never imported"
    );
    let prod = report(&reports, "travel-desk/prod")
        .status
        .as_ref()
        .unwrap();
    assert_eq!(prod.phase, Phase::Synced, "prod is not observed: {prod:?}");
}

#[tokio::test]
async fn a_running_prod_daemon_never_calls_the_dev_platform_not_even_for_readiness() {
    use std::sync::Arc;

    use kore_gitops::observe::ObserveState;
    use kore_gitops::reconcile::Daemon;
    use tokio::sync::Notify;

    let accounts = Accounts::start(SETTINGS).await;
    write_variables(&accounts);
    accounts.commit_all("values");
    accounts.daemon_setting("environments = [\"prod\"]");
    let config = accounts.load_config();
    let observe = ObserveState::for_config(&config, "test");
    let state = observe.0.clone();
    let daemon = Daemon::start_observed(config, false, Some(observe))
        .await
        .expect("daemon starts");
    let (stop, refresh) = (Arc::new(Notify::new()), Arc::new(Notify::new()));
    let running = tokio::spawn(daemon.run(stop.clone(), refresh));
    let mut synced = false;
    for _ in 0..500 {
        let reports = state.reports();
        if reports
            .iter()
            .any(|r| r.bot == "travel-desk/prod" && r.phase == Phase::Synced)
        {
            synced = true;
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    stop.notify_one();
    running.await.unwrap();
    assert!(synced, "prod was reconciled: {:?}", state.reports());
    assert!(
        state.readiness().missing().is_empty(),
        "{:?}",
        state.readiness().missing()
    );
    let dev_log: Value = accounts.dev_control.inspect("/requests").await;
    assert_eq!(dev_log.as_array().unwrap().len(), 0, "{dev_log}");
}
