//! The emulator's RSA signing key. TEST-ONLY: this key is public (it is in the
//! source tree); it signs every token the emulator mints and must never be
//! trusted by anything but the emulator itself.

use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};
use serde::Serialize;
use serde::de::DeserializeOwned;
use std::sync::OnceLock;

/// TEST-ONLY RSA-2048 private key (PKCS#1 PEM), generated with `openssl genrsa 2048`.
pub const TEST_ONLY_RSA_PRIVATE_KEY_PEM: &str = "-----BEGIN RSA PRIVATE KEY-----
MIIEowIBAAKCAQEAtnoSSDENymTzQUaA00v5D3E2UI8g+aiZZADIrvDjsCuE2NEW
8gTU/Bz4GuZqQxxNlbdQ89GyVO0KJ8SmT7oeotlgrYHQeKciI9w9riA0g0dG88kg
WiYaPmKPKbZ4QFzCsDS1e5+bInnO5d71NTnPVDkO2iwat9ox/0qZR1y06e5K+kl2
J4U794pQnHhMcumsf3xnW18kiLK+ksF9E0XqejIRqlDl9lWTQP9CNbyE/WLBZZJq
2+KUnuodyglf6xmIEidpHgw2PtcnzYQrewZTp0JibvGW3AEM+uQI9Bq5AENnmH0H
AtZ27iiwwdnImC7l752BAu8F5pIiPNgpQ4DXUwIDAQABAoIBAAdcqnDfU313Rwu6
yauhQmfsBCoumK58Lc3Q2pEHJtUTOPo7QDAYexi9r+SOg2gBT2RNlEZ1anGuRtiu
5S36s7JvRk0JwBgRfHAyp+WLeTnB0FnLtXKCN75ovIzofX+oZ42OzSB8EDRxzchV
/RsL2K4skJKe8Qy6kM8clij3ijAnTeriqwpjSt/oZlEpg9IDBH4S3Q3AhNiTzDCq
4Tc13TaXSxqtd55UjICOWmfglgvrtrZFtCeU9c3BpGnnAZ6eanSxBmf7LBForDLE
2AlErNOlTJxsH6sUF3IVvQQ8CX42IUKDqM6NvLTPPMVtHSrWQ1V5DYrn3uUczFfh
FBmUr0ECgYEA5XWbK2tfcpoGpU+e5YzDUHna2KpR1HQRaycjNkC0t0upD1C2xqdE
+V8S01WJAp52nf8OCtCPAo8puZrgtmlBhV/JVJyn5A9LbXXHt+RLA9Jh1PcQolHW
8l8qC8+cdiJ7J3w12zKZu2uiLqVWdQCeHVvHFWBq27scS89KsUu54sECgYEAy5VK
gwmZbUwhF1T4grmyg3JcSK3l93IvrmZ8qB5HqI2ctscQe/U4V2JpSylNJz3MaOs5
eI+AuH35EfOkjjZlg2GijqaR+x2YzxwDvnfvqWadPNK3C0JThR1IM4RI7Pu8ecfb
xCkQ0CYaHCoXwcdFKgEeBILkXj82tUVBV5f8wxMCgYEAkmZk6GELdv0a/GI+iUs0
WqZEoTSaHSko6+r+pmDGbKRTazgeRcT3Vvv38OqEDi24lLnk5bWHaSSahJdyhC/H
5CbnN5rz66hugZpCIOwBiKC0VsKD1GzO7bkWBI8jzqPVW63+VqqEN3ZG9ef7r48D
Usv5y4PG6gcJ2LybdV9RbIECgYB7FZTKKtiXKyrql1X0e19Bd7fxvSnHdEL9tzrw
zfXXI183Zp1BxJ2+v2IXri3WZteaK3VAvco+QPOAdgTscljnmPUWOAEUiO1lcnOV
CaBdlAvGxUMjzIMAfRa1BuqsVPq7yijFrWpb3l1038IjR146qhhC8/wsOx3RdMCv
u9V2/wKBgFowcWMlh7RDqSUfq7SENIXQPMzpF1hhN25eYfoT0IFHEILvoq7+iluu
lDF62pKA31/j0XlMOC7O1+RNR+4FEqhDYqjIr5OKy1I79tUnKYGrpBToHyacEdJY
VX00jOvfqHJJkY1lGb0RThO+zHwPxDGscyzJQ7cn82qVHPqfgzo0
-----END RSA PRIVATE KEY-----
";

/// Base64url modulus of [`TEST_ONLY_RSA_PRIVATE_KEY_PEM`], precomputed so the JWKS needs no RSA maths.
pub const JWK_N: &str = "tnoSSDENymTzQUaA00v5D3E2UI8g-aiZZADIrvDjsCuE2NEW8gTU_Bz4GuZqQxxNlbdQ89GyVO0KJ8SmT7oeotlgrYHQeKciI9w9riA0g0dG88kgWiYaPmKPKbZ4QFzCsDS1e5-bInnO5d71NTnPVDkO2iwat9ox_0qZR1y06e5K-kl2J4U794pQnHhMcumsf3xnW18kiLK-ksF9E0XqejIRqlDl9lWTQP9CNbyE_WLBZZJq2-KUnuodyglf6xmIEidpHgw2PtcnzYQrewZTp0JibvGW3AEM-uQI9Bq5AENnmH0HAtZ27iiwwdnImC7l752BAu8F5pIiPNgpQ4DXUw";
/// Base64url public exponent (65537).
pub const JWK_E: &str = "AQAB";
/// Key id put in every token header and in the JWKS.
pub const KID: &str = "ns-emulator-test-key-1";

fn encoding_key() -> &'static EncodingKey {
    static KEY: OnceLock<EncodingKey> = OnceLock::new();
    KEY.get_or_init(|| {
        EncodingKey::from_rsa_pem(TEST_ONLY_RSA_PRIVATE_KEY_PEM.as_bytes())
            .expect("embedded test key is valid PEM")
    })
}

fn decoding_key() -> &'static DecodingKey {
    static KEY: OnceLock<DecodingKey> = OnceLock::new();
    KEY.get_or_init(|| {
        DecodingKey::from_rsa_components(JWK_N, JWK_E).expect("embedded JWK components are valid")
    })
}

/// Signs `claims` as an RS256 JWT with the emulator key and its `kid`.
pub fn sign<T: Serialize>(claims: &T) -> String {
    let mut header = Header::new(Algorithm::RS256);
    header.kid = Some(KID.to_string());
    jsonwebtoken::encode(&header, claims, encoding_key())
        .expect("RS256 signing with the embedded key")
}

/// Why a token was refused by [`verify`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum VerifyError {
    /// Not three base64url parts of JSON.
    Malformed,
    /// Well formed, but not signed by the emulator key (or not RS256).
    BadSignature,
}

/// Checks the RS256 signature with the emulator key and returns the claims.
/// Expiry, issuer and audience are left to the caller, which knows which error to give.
pub fn verify<T: DeserializeOwned>(token: &str) -> Result<T, VerifyError> {
    let header = jsonwebtoken::decode_header(token).map_err(|_| VerifyError::Malformed)?;
    if header.alg != Algorithm::RS256 {
        return Err(VerifyError::BadSignature);
    }
    let mut v = Validation::new(Algorithm::RS256);
    v.validate_exp = false;
    v.validate_nbf = false;
    v.validate_aud = false;
    v.required_spec_claims.clear();
    match jsonwebtoken::decode::<T>(token, decoding_key(), &v) {
        Ok(data) => Ok(data.claims),
        Err(e) => match e.kind() {
            jsonwebtoken::errors::ErrorKind::InvalidSignature
            | jsonwebtoken::errors::ErrorKind::InvalidAlgorithm
            | jsonwebtoken::errors::ErrorKind::InvalidRsaKey(_) => Err(VerifyError::BadSignature),
            _ => Err(VerifyError::Malformed),
        },
    }
}

/// The JWKS document served at `/.well-known/jwks.json`.
pub fn jwks() -> serde_json::Value {
    serde_json::json!({
        "keys": [{"kty": "RSA", "alg": "RS256", "use": "sig", "kid": KID, "n": JWK_N, "e": JWK_E}]
    })
}
