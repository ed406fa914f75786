//! A burst of exports for one bot: the client paces itself under the limits.

use std::time::Duration;

use kore_gitops::platform::ExportKind;
use tokio::time::Instant;

use super::setup::World;

/// 200 exports of one bot at once, on a paused clock that the simulator's rate
/// limiter shares: the client spreads them over the minutes the budget needs,
/// and the simulator never has to answer 429.
#[tokio::test(start_paused = true)]
async fn a_burst_of_200_exports_stays_under_the_rate_limit() {
    let world = World::start().await;
    let mut config = world.config("admin");
    config.request_timeout = Duration::from_secs(600);
    let client = kore_gitops::platform::PlatformClient::new(config).unwrap();
    let started = Instant::now();
    let exports: Vec<_> = (0..200)
        .map(|_| {
            let (client, bot) = (client.clone(), world.bot.clone());
            tokio::spawn(async move { client.export(&bot, ExportKind::Latest).await.map(|_| ()) })
        })
        .collect();
    for export in exports {
        export.await.unwrap().unwrap();
    }
    let stats = world.stats().await;
    assert_eq!(stats["exports"], 200);
    assert_eq!(stats["rate_limited"], 0, "{stats}");
    // 200 design-time calls at 60 a minute need three full windows.
    assert!(
        started.elapsed() >= Duration::from_secs(180),
        "{:?}",
        started.elapsed()
    );
}
