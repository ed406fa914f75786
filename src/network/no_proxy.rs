//! `NO_PROXY`: the hosts reached directly although a proxy is set, with the
//! rules curl and reqwest follow, so the platform client and git agree.

use std::net::IpAddr;

/// A parsed `NO_PROXY` list.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct NoProxy {
    everything: bool,
    domains: Vec<String>,
    networks: Vec<(IpAddr, u8)>,
}

impl NoProxy {
    /// Reads a comma-separated list: `*` (every host), IP addresses and
    /// networks (`10.0.0.0/8`, `::1`), and domains, which match themselves
    /// and their subdomains (`example.com` and `.example.com` alike).
    /// Whitespace around entries is ignored; a port after a domain is too.
    pub fn parse(list: &str) -> NoProxy {
        let mut rules = NoProxy::default();
        for entry in list.split(',').map(str::trim).filter(|e| !e.is_empty()) {
            if entry == "*" {
                rules.everything = true;
            } else if let Some(network) = network(entry) {
                rules.networks.push(network);
            } else {
                let domain = entry.trim_start_matches("*.").trim_start_matches('.');
                let domain = domain.split(':').next().unwrap_or(domain);
                rules.domains.push(domain.to_ascii_lowercase());
            }
        }
        rules
    }

    /// Whether `host` (a name, or an IP address, IPv6 in brackets or not)
    /// is reached without the proxy.
    pub fn matches(&self, host: &str) -> bool {
        if self.everything {
            return true;
        }
        let bare = host.trim_start_matches('[').trim_end_matches(']');
        if let Ok(address) = bare.parse::<IpAddr>() {
            return self
                .networks
                .iter()
                .any(|(net, bits)| in_network(address, *net, *bits));
        }
        let host = host.trim_end_matches('.').to_ascii_lowercase();
        self.domains.iter().any(|domain| {
            host == *domain
                || host
                    .strip_suffix(domain.as_str())
                    .is_some_and(|rest| rest.ends_with('.'))
        })
    }
}

/// `address` or `address/bits`.
fn network(entry: &str) -> Option<(IpAddr, u8)> {
    let (address, bits) = match entry.split_once('/') {
        Some((address, bits)) => (address, Some(bits.parse::<u8>().ok()?)),
        None => (entry, None),
    };
    let address: IpAddr = address
        .trim_start_matches('[')
        .trim_end_matches(']')
        .parse()
        .ok()?;
    let max = if address.is_ipv4() { 32 } else { 128 };
    let bits = bits.unwrap_or(max);
    (bits <= max).then_some((address, bits))
}

fn in_network(address: IpAddr, network: IpAddr, bits: u8) -> bool {
    let prefix = |value: u128, width: u32| {
        let shift = width - u32::from(bits);
        value.checked_shr(shift).unwrap_or(0)
    };
    match (address, network) {
        (IpAddr::V4(a), IpAddr::V4(n)) => {
            prefix(u32::from(a).into(), 32) == prefix(u32::from(n).into(), 32)
        }
        (IpAddr::V6(a), IpAddr::V6(n)) => prefix(u128::from(a), 128) == prefix(u128::from(n), 128),
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn domains_match_themselves_and_their_subdomains_only() {
        let rules = NoProxy::parse(" example.com , .corp.local,*.intra.net:8443 ");
        for host in [
            "example.com",
            "EXAMPLE.com",
            "git.example.com",
            "corp.local",
            "a.b.corp.local",
            "intra.net",
            "git.intra.net",
        ] {
            assert!(rules.matches(host), "{host}");
        }
        for host in ["notexample.com", "example.com.evil", "local", "127.0.0.1"] {
            assert!(!rules.matches(host), "{host}");
        }
    }

    #[test]
    fn addresses_and_networks_match_by_prefix() {
        let rules = NoProxy::parse("10.0.0.0/8,127.0.0.1,::1,fd00::/8,bad/99");
        for host in ["10.1.2.3", "127.0.0.1", "[::1]", "::1", "fd12::1"] {
            assert!(rules.matches(host), "{host}");
        }
        for host in ["11.0.0.1", "127.0.0.2", "[::2]", "fe80::1", "localhost"] {
            assert!(!rules.matches(host), "{host}");
        }
        assert!(NoProxy::parse("0.0.0.0/0").matches("192.0.2.1"));
    }

    #[test]
    fn a_star_matches_every_host_and_an_empty_list_none() {
        assert!(NoProxy::parse("*").matches("anything.example"));
        assert!(!NoProxy::parse("").matches("anything.example"));
        assert!(!NoProxy::parse(" , ").matches("127.0.0.1"));
    }
}
