//! The CA roots a registry connection trusts: the machine's own (read by
//! rustls-platform-verifier, which honours `SSL_CERT_FILE` and `SSL_CERT_DIR`) merged
//! with Mozilla's, carried inside the binary. The static binary runs in images with no
//! CA bundle at all (`FROM scratch`, an empty chroot), where the machine has none;
//! merging rather than replacing keeps a corporate CA installed on the machine valid.

/// Mozilla's roots, DER-encoded, as webpki-root-certs ships them.
fn bundled() -> impl Iterator<Item = &'static [u8]> {
    webpki_root_certs::TLS_SERVER_ROOT_CERTS
        .iter()
        .map(|certificate| certificate.as_ref())
}

/// The bundled roots for oci-client's `extra_root_certificates`.
pub(super) fn for_oci_client() -> Vec<oci_client::client::Certificate> {
    bundled()
        .map(|der| oci_client::client::Certificate {
            encoding: oci_client::client::CertificateEncoding::Der,
            data: der.to_vec(),
        })
        .collect()
}

/// The bundled roots for reqwest's `tls_certs_merge`.
pub(super) fn for_reqwest() -> Result<Vec<reqwest::Certificate>, reqwest::Error> {
    bundled().map(reqwest::Certificate::from_der).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_bundled_root_is_accepted_by_both_clients() {
        let oci = for_oci_client();
        assert!(oci.len() > 100, "Mozilla ships well over 100 roots");
        assert_eq!(for_reqwest().expect("DER roots parse").len(), oci.len());
    }
}
