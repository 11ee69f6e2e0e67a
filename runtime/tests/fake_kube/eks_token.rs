//! Checking an EKS bearer token the way the cluster's authenticator does before it calls STS:
//! decode `k8s-aws-v1.` + base64url, check that the URL is a presigned STS
//! `GetCallerIdentity` for the cluster's region, signed over the `x-k8s-aws-id` header naming
//! this cluster, not expired; then recompute its SigV4 signature from the secret key, written
//! here from the SigV4 specification (not with the signing crate berth uses), so a token that
//! only looks right fails.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use aws_lc_rs::{digest, hmac};
use base64::Engine as _;

/// What a token says.
#[derive(Debug)]
pub struct Decoded {
    /// The presigned URL.
    pub url: String,
    /// Its host.
    pub host: String,
    /// Its query, decoded.
    pub query: BTreeMap<String, String>,
}

/// Decodes `token` and checks it is for `cluster` in `region`, signed by `access_key` with
/// `secret_key` at most 15 minutes before `now` (seconds since the epoch).
pub fn verify(
    token: &str,
    cluster: &str,
    region: &str,
    access_key: &str,
    secret_key: &str,
    now: u64,
) -> Result<Decoded, String> {
    let encoded = token
        .strip_prefix("k8s-aws-v1.")
        .ok_or("no k8s-aws-v1. prefix")?;
    if encoded.contains('=') || encoded.contains('+') || encoded.contains('/') {
        return Err("not base64url without padding".into());
    }
    let url = String::from_utf8(
        base64::engine::general_purpose::URL_SAFE_NO_PAD
            .decode(encoded)
            .map_err(|error| format!("not base64url: {error}"))?,
    )
    .map_err(|_| "not UTF-8")?;
    let rest = url.strip_prefix("https://").ok_or("not https")?;
    let (host, path_and_query) = rest.split_once('/').ok_or("no path")?;
    let query_text = path_and_query
        .strip_prefix('?')
        .ok_or("the path is not `/`")?;
    let query: BTreeMap<String, String> = query_text
        .split('&')
        .map(|pair| {
            let (name, value) = pair.split_once('=').unwrap_or((pair, ""));
            (decode(name), decode(value))
        })
        .collect();
    let expect = |name: &str, value: &str| -> Result<(), String> {
        match query.get(name) {
            Some(found) if found == value => Ok(()),
            found => Err(format!("{name} is {found:?}, not {value:?}")),
        }
    };
    if host != format!("sts.{region}.amazonaws.com") {
        return Err(format!("the host is {host}"));
    }
    expect("Action", "GetCallerIdentity")?;
    expect("Version", "2011-06-15")?;
    expect("X-Amz-Algorithm", "AWS4-HMAC-SHA256")?;
    expect("X-Amz-Expires", "60")?;
    expect("X-Amz-SignedHeaders", "host;x-k8s-aws-id")?;
    let date_time = query.get("X-Amz-Date").ok_or("no X-Amz-Date")?.clone();
    let date = date_time.get(..8).ok_or("a short X-Amz-Date")?.to_owned();
    let scope = format!("{date}/{region}/sts/aws4_request");
    expect("X-Amz-Credential", &format!("{access_key}/{scope}"))?;
    let signed_at = seconds_since_epoch(&date_time).ok_or("an unreadable X-Amz-Date")?;
    if now < signed_at || now - signed_at > 15 * 60 {
        return Err(format!("signed at {signed_at}, now is {now}: expired"));
    }

    let canonical_query = query
        .iter()
        .filter(|(name, _)| *name != "X-Amz-Signature")
        .map(|(name, value)| format!("{}={}", encode(name), encode(value)))
        .collect::<Vec<_>>()
        .join("&");
    let empty_payload = hex(digest::digest(&digest::SHA256, b"").as_ref());
    let canonical_request = format!(
        "GET\n/\n{canonical_query}\nhost:{host}\nx-k8s-aws-id:{cluster}\n\nhost;x-k8s-aws-id\n{empty_payload}"
    );
    let string_to_sign = format!(
        "AWS4-HMAC-SHA256\n{date_time}\n{scope}\n{}",
        hex(digest::digest(&digest::SHA256, canonical_request.as_bytes()).as_ref())
    );
    let mut key = format!("AWS4{secret_key}").into_bytes();
    for part in [date.as_str(), region, "sts", "aws4_request"] {
        key = hmac::sign(&hmac::Key::new(hmac::HMAC_SHA256, &key), part.as_bytes())
            .as_ref()
            .to_vec();
    }
    let signature = hex(hmac::sign(
        &hmac::Key::new(hmac::HMAC_SHA256, &key),
        string_to_sign.as_bytes(),
    )
    .as_ref());
    if query.get("X-Amz-Signature") != Some(&signature) {
        return Err("the signature does not match: not signed over this cluster's x-k8s-aws-id with this key".into());
    }
    Ok(Decoded {
        url: url.clone(),
        host: host.to_owned(),
        query,
    })
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().fold(String::new(), |mut text, byte| {
        let _ = write!(text, "{byte:02x}");
        text
    })
}

/// SigV4's URI encoding: everything but unreserved characters, uppercase hex.
fn encode(text: &str) -> String {
    text.bytes()
        .map(|byte| match byte {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                (byte as char).to_string()
            }
            _ => format!("%{byte:02X}"),
        })
        .collect()
}

fn decode(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = Vec::new();
    let mut index = 0;
    while index < bytes.len() {
        let escaped = (bytes[index] == b'%' && index + 2 < bytes.len())
            .then(|| std::str::from_utf8(&bytes[index + 1..index + 3]).ok())
            .flatten()
            .and_then(|hex| u8::from_str_radix(hex, 16).ok());
        if let Some(byte) = escaped {
            out.push(byte);
            index += 3;
            continue;
        }
        out.push(bytes[index]);
        index += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// `20231114T221320Z` as seconds since the epoch.
fn seconds_since_epoch(text: &str) -> Option<u64> {
    let number = |range: std::ops::Range<usize>| text.get(range)?.parse::<i64>().ok();
    let (year, month, day) = (number(0..4)?, number(4..6)?, number(6..8)?);
    let (hour, minute, second) = (number(9..11)?, number(11..13)?, number(13..15)?);
    // Days from the civil date (Howard Hinnant's algorithm).
    let shifted = if month <= 2 { year - 1 } else { year };
    let era = shifted.div_euclid(400);
    let year_of_era = shifted - era * 400;
    let day_of_year = (153 * (month + if month > 2 { -3 } else { 9 }) + 2) / 5 + day - 1;
    let day_of_era = year_of_era * 365 + year_of_era / 4 - year_of_era / 100 + day_of_year;
    let days = era * 146_097 + day_of_era - 719_468;
    u64::try_from(days * 86_400 + hour * 3600 + minute * 60 + second).ok()
}
