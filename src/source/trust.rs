//! `[git] ca_file` for libgit2, which speaks TLS through OpenSSL: the file is
//! added to the store OpenSSL already loaded from the system's certificate
//! store (`SSL_CTX_load_verify_locations` adds, it does not replace), so a
//! remote is trusted when either vouches for it, and OpenSSL checks the whole
//! chain the server sends (intermediates included).
//!
//! Why not a `certificate_check` callback that verifies with our own roots:
//! libgit2 hands the callback the server's leaf certificate only, so a server
//! whose chain runs through an intermediate (the usual corporate PKI, and
//! TLS-inspecting proxies) could not be verified against a CA file holding
//! only the root. The price is that libgit2's setting is process-wide and
//! unsynchronised: it is set once, at startup, before any git operation.

use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use crate::network::CaBundle;

/// The CA file installed into libgit2, once per process.
static INSTALLED: OnceLock<PathBuf> = OnceLock::new();

/// Adds `ca` to what libgit2 trusts. Called only by the command line, right
/// after loading the configuration and before the command's runtime starts:
/// no other thread exists that could run a libgit2 operation meanwhile. A
/// second call with another file is refused (it would need a restart).
#[allow(unsafe_code)]
pub(crate) fn install_at_startup(ca: &CaBundle) -> Result<(), String> {
    let path = ca.path();
    if let Some(installed) = INSTALLED.get() {
        return match installed == path {
            true => Ok(()),
            false => Err(not_in_force(path)),
        };
    }
    // SAFETY: libgit2's global options are not synchronised with operations
    // running in other threads. This runs on the main thread before the
    // command builds its async runtime (cli::daemon::load_config_for), so no
    // libgit2 operation runs concurrently; `INSTALLED` makes it happen once.
    unsafe { git2::opts::set_ssl_cert_file(path) }
        .map_err(|e| format!("[git] ca_file: {}: {}", path.display(), e.message()))?;
    let _ = INSTALLED.set(path.to_owned());
    Ok(())
}

/// Whether `ca` is the file libgit2 trusts.
pub(crate) fn in_force(ca: &CaBundle) -> bool {
    INSTALLED
        .get()
        .is_some_and(|installed| installed == ca.path())
}

/// Why a configured CA file does not apply to git.
pub(crate) fn not_in_force(path: &Path) -> String {
    format!(
        "[git] ca_file {} is not in force: git reads it when kore-gitops starts \
         (restart kore-gitops after changing it)",
        path.display()
    )
}
