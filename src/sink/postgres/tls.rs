//! TLS for PostgreSQL connections: libpq's `sslmode`, the server certificate check for each
//! mode, and the root certificates a check is made against.

use anyhow::{Result, bail};
use rustls::client::WebPkiServerVerifier;
use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::crypto::{CryptoProvider, verify_tls12_signature, verify_tls13_signature};
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, ServerName, UnixTime};
use rustls::{CertificateError, DigitallySignedStruct, RootCertStore, SignatureScheme};
use std::path::Path;
use std::sync::Arc;

/// libpq's `sslmode`: whether to use TLS and how much of the server's certificate to check.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SslMode {
    /// Plain TCP only.
    Disable,
    /// TLS when the server offers it, plain otherwise; the certificate is not checked. The default.
    Prefer,
    /// TLS or fail; the certificate is not checked, unless a root certificate file exists
    /// (`sslrootcert` or ~/.postgresql/root.crt): then as `VerifyCa`, like libpq.
    Require,
    /// TLS; the certificate chain must lead to a root certificate. The host name is not checked.
    VerifyCa,
    /// TLS; the chain must lead to a root certificate and the certificate must name the host.
    VerifyFull,
}

pub(super) const SSLMODES: [(&str, SslMode); 5] = [
    ("disable", SslMode::Disable),
    ("prefer", SslMode::Prefer),
    ("require", SslMode::Require),
    ("verify-ca", SslMode::VerifyCa),
    ("verify-full", SslMode::VerifyFull),
];

impl SslMode {
    /// Parse a libpq `sslmode` value; the error lists the valid ones.
    pub fn parse(text: &str) -> Result<SslMode> {
        match SSLMODES.iter().find(|(name, _)| *name == text) {
            Some((_, mode)) => Ok(*mode),
            None => bail!(
                "invalid sslmode \"{text}\" (valid: disable, prefer, require, verify-ca, verify-full)"
            ),
        }
    }

    /// The libpq spelling, as in `sslmode=verify-full`.
    pub fn as_str(self) -> &'static str {
        SSLMODES
            .iter()
            .find(|(_, mode)| *mode == self)
            .map_or("prefer", |(name, _)| name)
    }
}

/// The server certificate check of every mode short of `verify-full` (which is rustls's own):
/// with roots, webpki's checks except that the certificate need not name the host (`verify-ca`,
/// and `require` with a root file; webpki checks the name last, so the chain has been verified
/// when that error comes); without, any certificate (`prefer`, `require`). Either way the
/// handshake must be signed by the certificate's key.
#[derive(Debug)]
pub(super) struct Verifier {
    chain: Option<Arc<WebPkiServerVerifier>>,
    provider: Arc<CryptoProvider>,
}

impl Verifier {
    /// The chain checked against `roots`, not the name.
    pub(super) fn chain(
        roots: RootCertStore,
        provider: Arc<CryptoProvider>,
    ) -> std::result::Result<Verifier, rustls::client::VerifierBuilderError> {
        let chain = WebPkiServerVerifier::builder_with_provider(Arc::new(roots), provider.clone())
            .build()?;
        Ok(Verifier {
            chain: Some(chain),
            provider,
        })
    }

    /// The signature algorithms the handshake is checked with: the provider's.
    fn algorithms(&self) -> &rustls::crypto::WebPkiSupportedAlgorithms {
        &self.provider.signature_verification_algorithms
    }

    /// Any certificate.
    pub(super) fn any(provider: Arc<CryptoProvider>) -> Verifier {
        Verifier {
            chain: None,
            provider,
        }
    }
}

impl ServerCertVerifier for Verifier {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        server_name: &ServerName<'_>,
        ocsp: &[u8],
        now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        let Some(chain) = &self.chain else {
            return Ok(ServerCertVerified::assertion());
        };
        match chain.verify_server_cert(end_entity, intermediates, server_name, ocsp, now) {
            Err(rustls::Error::InvalidCertificate(
                CertificateError::NotValidForName | CertificateError::NotValidForNameContext { .. },
            )) => Ok(ServerCertVerified::assertion()),
            other => other,
        }
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        verify_tls12_signature(message, cert, dss, self.algorithms())
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        verify_tls13_signature(message, cert, dss, self.algorithms())
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.algorithms().supported_schemes()
    }
}

/// All the certificates of a PEM file.
pub(super) fn load_roots(path: &Path) -> std::result::Result<RootCertStore, String> {
    let shown = path.display();
    let unreadable =
        |e: &dyn std::fmt::Display| format!("cannot read root certificate file \"{shown}\": {e}");
    let mut roots = RootCertStore::empty();
    for cert in CertificateDer::pem_file_iter(path).map_err(|e| unreadable(&e))? {
        let cert = cert.map_err(|e| unreadable(&e))?;
        roots
            .add(cert)
            .map_err(|e| format!("bad certificate in \"{shown}\": {e}"))?;
    }
    if roots.is_empty() {
        return Err(format!(
            "no PEM certificates in root certificate file \"{shown}\""
        ));
    }
    Ok(roots)
}
