//! How kore-gitops reaches a host on a corporate network: which certificate
//! authorities it trusts beyond the system's store, and which proxy carries a
//! request. The platform client and git share these types and the one
//! `NO_PROXY` rule, so both decide alike for the same host.

mod ca;
mod no_proxy;
mod proxy;

pub use ca::CaBundle;
pub use no_proxy::NoProxy;
pub use proxy::{Proxies, ProxyUrl};

/// The trust and proxy settings of one connection (`[git]`, `[platform]`,
/// `[platforms.<name>]`).
#[derive(Debug, Clone, Default)]
pub struct NetworkSettings {
    /// Certificate authorities trusted in addition to the system's store
    /// (`ca_file`).
    pub ca: Option<CaBundle>,
    /// Which proxy, if any, carries a request to a given URL.
    pub proxies: Proxies,
}
