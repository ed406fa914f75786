//! `ca_file`: a PEM bundle of certificate authorities trusted on top of the
//! system's certificate store, read and checked once, at configuration load.

use std::fmt;
use std::path::{Path, PathBuf};

use rustls_pki_types::CertificateDer;
use rustls_pki_types::pem::PemObject;

/// The certificates of a CA file, each parsed as a trust anchor.
#[derive(Clone)]
pub struct CaBundle {
    path: PathBuf,
    certs: Vec<CertificateDer<'static>>,
}

impl fmt::Debug for CaBundle {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CaBundle")
            .field("path", &self.path)
            .field("certificates", &self.certs.len())
            .finish()
    }
}

impl CaBundle {
    /// Reads `path`: one or more `-----BEGIN CERTIFICATE-----` blocks, each a
    /// certificate that can serve as a trust anchor. The error says what is
    /// wrong, naming the path.
    pub fn load(path: &Path) -> Result<CaBundle, String> {
        let shown = path.display();
        let pem = std::fs::read(path).map_err(|e| format!("cannot read {shown}: {e}"))?;
        let mut certs = Vec::new();
        for (index, item) in CertificateDer::pem_slice_iter(&pem).enumerate() {
            let cert = item.map_err(|e| format!("{shown} is not a PEM file: {e}"))?;
            webpki::anchor_from_trusted_cert(&cert).map_err(|e| {
                format!(
                    "{shown}: certificate {} is not a valid X.509 certificate: {e}",
                    index + 1
                )
            })?;
            certs.push(cert.into_owned());
        }
        if certs.is_empty() {
            return Err(format!(
                "{shown} holds no PEM certificate (-----BEGIN CERTIFICATE-----)"
            ));
        }
        Ok(CaBundle {
            path: path.to_owned(),
            certs,
        })
    }

    /// The file the bundle was read from.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The certificates, DER-encoded.
    pub fn certificates(&self) -> &[CertificateDer<'static>] {
        &self.certs
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_missing_empty_or_garbled_file_is_named_and_explained() {
        let dir = tempfile::tempdir().unwrap();
        let missing = dir.path().join("missing.pem");
        let err = CaBundle::load(&missing).unwrap_err();
        assert!(
            err.starts_with(&format!("cannot read {}", missing.display())),
            "{err}"
        );
        let empty = dir.path().join("empty.pem");
        std::fs::write(&empty, "no certificate here\n").unwrap();
        let err = CaBundle::load(&empty).unwrap_err();
        assert!(err.contains("holds no PEM certificate"), "{err}");
        let garbled = dir.path().join("garbled.pem");
        std::fs::write(
            &garbled,
            "-----BEGIN CERTIFICATE-----\naGVsbG8gd29ybGQ=\n-----END CERTIFICATE-----\n",
        )
        .unwrap();
        let err = CaBundle::load(&garbled).unwrap_err();
        assert!(
            err.contains("certificate 1 is not a valid X.509 certificate"),
            "{err}"
        );
    }
}
