//! The platform client's trust and proxy: the system's certificate store, the
//! bundled web roots and the configured `ca_file`, all at once; and the proxy
//! the configuration chose for each URL (never the process environment behind
//! the configuration's back: it read the environment already).

use crate::network::NetworkSettings;

/// `builder` with the trust and proxy of `network`.
pub(super) fn apply(
    builder: reqwest::ClientBuilder,
    network: &NetworkSettings,
) -> Result<reqwest::ClientBuilder, reqwest::Error> {
    let mut builder = builder
        .tls_built_in_root_certs(true)
        .tls_built_in_webpki_certs(true)
        .tls_built_in_native_certs(true);
    for cert in network.ca.iter().flat_map(|ca| ca.certificates()) {
        builder = builder.add_root_certificate(reqwest::Certificate::from_der(cert)?);
    }
    if network.proxies.is_empty() {
        return Ok(builder.no_proxy());
    }
    let proxies = network.proxies.clone();
    let proxy =
        reqwest::Proxy::custom(move |url| proxies.for_url(url).map(|proxy| proxy.expose().clone()));
    Ok(builder.proxy(proxy))
}
