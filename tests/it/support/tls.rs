//! A private certificate authority made inside the test, as a corporate PKI
//! would be: a root, an intermediate that issues server certificates, and
//! servers that send their certificate with the intermediate.

use std::path::{Path, PathBuf};

use kore_gitops::sim::TlsIdentity;
use rcgen::{
    BasicConstraints, CertificateParams, CertifiedIssuer, DnType, IsCa, KeyPair, KeyUsagePurpose,
};

/// A root CA and its issuing intermediate.
pub struct PrivateCa {
    root: CertifiedIssuer<'static, KeyPair>,
    intermediate: CertifiedIssuer<'static, KeyPair>,
}

fn ca_params(name: &str) -> CertificateParams {
    let mut params = CertificateParams::new(Vec::<String>::new()).expect("CA parameters");
    params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    params.distinguished_name.push(DnType::CommonName, name);
    params.key_usages = vec![
        KeyUsagePurpose::KeyCertSign,
        KeyUsagePurpose::CrlSign,
        KeyUsagePurpose::DigitalSignature,
    ];
    params
}

impl PrivateCa {
    /// A new CA named `name` (root and intermediate).
    pub fn new(name: &str) -> PrivateCa {
        let root_key = KeyPair::generate().expect("a key");
        let root = CertifiedIssuer::self_signed(ca_params(&format!("{name} Root")), root_key)
            .expect("the root");
        let key = KeyPair::generate().expect("a key");
        let intermediate =
            CertifiedIssuer::signed_by(ca_params(&format!("{name} Issuing")), key, &root)
                .expect("the intermediate");
        PrivateCa { root, intermediate }
    }

    /// A server identity for 127.0.0.1 and localhost, issued by the
    /// intermediate; the chain holds the intermediate too.
    pub fn server_identity(&self) -> TlsIdentity {
        let key = KeyPair::generate().expect("a key");
        let mut params = CertificateParams::new(vec!["127.0.0.1".to_owned(), "localhost".into()])
            .expect("server parameters");
        params
            .distinguished_name
            .push(DnType::CommonName, "loopback");
        let cert = params.signed_by(&key, &self.intermediate).expect("signed");
        TlsIdentity {
            cert_chain_pem: format!("{}{}", cert.pem(), self.intermediate.pem()),
            key_pem: key.serialize_pem(),
        }
    }

    /// Writes the root certificate alone (what a corporate CA bundle holds)
    /// to `dir/<file>`; returns the path.
    pub fn write_root(&self, dir: &Path, file: &str) -> PathBuf {
        let path = dir.join(file);
        std::fs::write(&path, self.root.pem()).expect("write the CA file");
        path
    }
}
