//! The real platform client, pointed at an in-process simulator and tuned for
//! fast tests (short polls and timeouts, quick retries).

use std::time::Duration;

use kore_gitops::platform::retry::RetryPolicy;
use kore_gitops::platform::{ClientId, Credentials, PlatformClient, PlatformConfig};
use kore_gitops::sim::RunningSim;
use secrecy::SecretString;

/// The configuration for `app` of `sim`, with test timings.
pub fn fast_config(sim: &RunningSim, app: &str) -> PlatformConfig {
    let app = sim.credentials.app(app);
    let credentials = Credentials {
        client_id: ClientId::new(app.client_id.clone()).expect("a simulator client id"),
        client_secret: SecretString::from(app.client_secret.clone()),
        jwe: false,
    };
    let base = sim.base_url.parse().expect("the simulator's URL");
    let mut config = PlatformConfig::new(base, credentials);
    config.request_timeout = Duration::from_secs(5);
    config.poll_interval = Duration::from_millis(5);
    config.max_poll_interval = Duration::from_millis(50);
    config.job_deadline = Duration::from_secs(5);
    config.retry = RetryPolicy {
        max_attempts: 5,
        base: Duration::from_millis(10),
        cap: Duration::from_millis(100),
        max_retry_after: Duration::from_secs(5),
    };
    config
}

/// A client for `app` of `sim`, with test timings.
pub fn fast_client(sim: &RunningSim, app: &str) -> PlatformClient {
    PlatformClient::new(fast_config(sim, app)).expect("the client builds")
}
