//! Tokens, app kinds, scopes, unknown bots and rate limits.

use serde_json::{Value, json};

use crate::support::sim::{Client, mint_claims, mint_token, start_sim, write_synthetic_bot};

async fn error_of(response: reqwest::Response) -> (u16, String) {
    let status = response.status().as_u16();
    let body: Value = response.json().await.expect("error envelope");
    (
        status,
        body["errors"][0]["msg"].as_str().expect("msg").to_owned(),
    )
}

#[tokio::test]
async fn tokens_are_checked_as_documented() {
    let dir = tempfile::tempdir().unwrap();
    let sim = start_sim(&[write_synthetic_bot(dir.path(), "travel")]).await;
    let client = Client::new(&sim);
    let admin = sim.credentials.app("admin");
    let bots = format!("{}/api/public/bots", sim.base_url);
    let send = |token: Option<String>| {
        let request = client.http.get(&bots);
        let request = match token {
            Some(t) => request.header("AUTH", t),
            None => request,
        };
        request.send()
    };
    // A token minted by jsonwebtoken, in an upper-case header name, is accepted.
    assert_eq!(
        send(Some(mint_token(admin, false))).await.unwrap().status(),
        200
    );
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs();
    let cases = [
        (None, "error verifying the jwt: jwt must be provided"),
        (
            Some("not.a.token".to_owned()),
            "error verifying the jwt: jwt malformed",
        ),
        (
            Some(mint_claims(
                "wrong secret",
                &json!({"appId": admin.client_id}),
            )),
            "error verifying the jwt: invalid signature",
        ),
        (
            Some(mint_claims(
                &admin.client_secret,
                &json!({"appId": admin.client_id, "exp": now - 10}),
            )),
            "error verifying the jwt: jwt expired",
        ),
        (
            Some(mint_claims(
                &admin.client_secret,
                &json!({"appId": "cs-unknown"}),
            )),
            "error verifying the jwt: invalid appId",
        ),
        (
            Some(mint_claims(
                &admin.client_secret,
                &json!({"client": admin.client_id}),
            )),
            "error verifying the jwt: appId claim is missing",
        ),
    ];
    for (token, expected) in cases {
        let (status, msg) = error_of(send(token).await.unwrap()).await;
        assert_eq!((status, msg.as_str()), (401, expected));
    }
}

#[tokio::test]
async fn jti_apps_refuse_long_lived_and_replayed_tokens() {
    let dir = tempfile::tempdir().unwrap();
    let sim = start_sim(&[write_synthetic_bot(dir.path(), "travel")]).await;
    let client = Client::new(&sim);
    let jti = sim.credentials.app("jti");
    let bots = format!("{}/api/public/bots", sim.base_url);
    let send = |token: String| client.http.get(&bots).header("auth", token).send();
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs();
    let far = mint_claims(
        &jti.client_secret,
        &json!({"appId": jti.client_id, "jti": "a", "exp": now + 7200}),
    );
    let exp_msg = "error verifying the jwt: if \"jti\" claim \"exp\" must be <= 1 hour(s)";
    assert_eq!(
        error_of(send(far).await.unwrap()).await,
        (401, exp_msg.to_owned())
    );
    let no_exp = mint_claims(
        &jti.client_secret,
        &json!({"appId": jti.client_id, "jti": "b"}),
    );
    assert_eq!(
        error_of(send(no_exp).await.unwrap()).await,
        (401, exp_msg.to_owned())
    );
    let token = mint_token(jti, true);
    assert_eq!(send(token.clone()).await.unwrap().status(), 200);
    let replay = error_of(send(token).await.unwrap()).await;
    assert_eq!(
        replay,
        (401, "error verifying the jwt: possibly a replay".to_owned())
    );
    // Fresh jti every time: always accepted.
    assert_eq!(send(mint_token(jti, true)).await.unwrap().status(), 200);
}

#[tokio::test]
async fn app_kind_scope_and_unknown_bot_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    let sim = start_sim(&[write_synthetic_bot(dir.path(), "travel")]).await;
    let client = Client::new(&sim);
    let (builder, noscope, admin) = (
        sim.credentials.app("builder"),
        sim.credentials.app("noscope"),
        sim.credentials.app("admin"),
    );
    let bot = &sim.credentials.bot("travel").id;
    // Builder apps may export and train but not import, publish or list bots.
    assert_eq!(
        client
            .post(
                builder,
                &format!("/bot/{bot}/export"),
                json!({"exportType": "latest"})
            )
            .await
            .status(),
        200
    );
    for (status, _) in [
        error_of(client.get(builder, "/bots").await).await,
        error_of(
            client
                .post(
                    builder,
                    &format!("/bot/{bot}/publish"),
                    json!({"versionComment": "x"}),
                )
                .await,
        )
        .await,
        error_of(
            client
                .post(builder, &format!("/bot/{bot}/import"), json!({}))
                .await,
        )
        .await,
    ] {
        assert_eq!(status, 403);
    }
    let (status, msg) = error_of(client.get(noscope, "/bots").await).await;
    assert_eq!(
        (status, msg.as_str()),
        (403, "The app does not have the bots API scope")
    );
    let path = "/bot/st-00000000-0000-0000-0000-000000000000/export";
    let (status, _) = error_of(
        client
            .post(admin, path, json!({"exportType": "latest"}))
            .await,
    )
    .await;
    assert_eq!(status, 404);
}

#[tokio::test]
async fn rate_limits_are_hit_and_recover() {
    let dir = tempfile::tempdir().unwrap();
    let sim = start_sim(&[write_synthetic_bot(dir.path(), "travel")]).await;
    let client = Client::new(&sim);
    let admin = sim.credentials.app("admin");
    client
        .control(
            "/rate-limits",
            json!({"per_minute": 2, "per_hour": 100, "retry_after": true}),
        )
        .await;
    assert_eq!(client.get(admin, "/bots").await.status(), 200);
    assert_eq!(client.get(admin, "/bots").await.status(), 200);
    let limited = client.get(admin, "/bots").await;
    assert!(limited.headers().get("retry-after").is_some());
    let expected = "Rate limit for this API has been reached. Please try again after some time.";
    assert_eq!(error_of(limited).await, (429, expected.to_owned()));
    // Counted per account for Get Bots, per bot for design-time calls.
    let bot = &sim.credentials.bot("travel").id;
    assert_eq!(
        client
            .post(admin, &format!("/bot/{bot}/ml/train"), json!({}))
            .await
            .status(),
        200
    );
    client
        .control(
            "/rate-limits",
            json!({"per_minute": 1, "retry_after": false}),
        )
        .await;
    assert_eq!(client.get(admin, "/bots").await.status(), 200);
    let limited = client.get(admin, "/bots").await;
    assert_eq!(limited.status(), 429);
    assert!(limited.headers().get("retry-after").is_none());
    client
        .control("/rate-limits", json!({"per_minute": 60}))
        .await;
    assert_eq!(client.get(admin, "/bots").await.status(), 200, "recovered");
    let stats = client.inspect("/stats").await;
    assert_eq!(stats["rate_limited"], 2);
}
