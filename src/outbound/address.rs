//! Which hosts an outbound fetch may reach: public unicast addresses and
//! names that are not reserved for the local machine or network.
//!
//! The lists are deny lists for IPv4 and an allow list for IPv6 (only
//! global unicast, `2000::/3`, minus its special blocks). IPv6 forms that
//! carry an IPv4 address (mapped, compatible, NAT64, 6to4) are judged by
//! the IPv4 address inside, so `::ffff:127.0.0.1` is loopback.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

/// Why an address may not be fetched from, or `None` when it may.
pub fn forbidden_address(ip: IpAddr) -> Option<&'static str> {
    match ip {
        IpAddr::V4(v4) => forbidden_v4(v4),
        IpAddr::V6(v6) => forbidden_v6(v6),
    }
}

fn in_v4(ip: Ipv4Addr, network: [u8; 4], prefix: u32) -> bool {
    let mask = u32::MAX.checked_shl(32 - prefix).unwrap_or(0);
    u32::from(ip) & mask == u32::from(Ipv4Addr::from(network)) & mask
}

fn forbidden_v4(ip: Ipv4Addr) -> Option<&'static str> {
    const RANGES: [([u8; 4], u32, &str); 17] = [
        ([0, 0, 0, 0], 8, "an unspecified (\"this network\") address"),
        ([127, 0, 0, 0], 8, "a loopback address"),
        ([10, 0, 0, 0], 8, "a private address"),
        ([172, 16, 0, 0], 12, "a private address"),
        ([192, 168, 0, 0], 16, "a private address"),
        (
            [169, 254, 0, 0],
            16,
            "a link-local address (where cloud metadata services answer)",
        ),
        ([100, 64, 0, 0], 10, "a shared (carrier-grade NAT) address"),
        ([192, 0, 0, 0], 24, "an IETF protocol address"),
        ([192, 0, 2, 0], 24, "a documentation address"),
        ([198, 51, 100, 0], 24, "a documentation address"),
        ([203, 0, 113, 0], 24, "a documentation address"),
        ([198, 18, 0, 0], 15, "a benchmarking address"),
        ([192, 88, 99, 0], 24, "a deprecated 6to4 relay address"),
        ([224, 0, 0, 0], 4, "a multicast address"),
        ([255, 255, 255, 255], 32, "the broadcast address"),
        ([240, 0, 0, 0], 4, "a reserved address"),
        ([192, 31, 196, 0], 24, "an IETF protocol address"),
    ];
    RANGES
        .iter()
        .find(|(network, prefix, _)| in_v4(ip, *network, *prefix))
        .map(|(_, _, why)| *why)
}

fn in_v6(ip: Ipv6Addr, network: Ipv6Addr, prefix: u32) -> bool {
    let mask = u128::MAX.checked_shl(128 - prefix).unwrap_or(0);
    u128::from(ip) & mask == u128::from(network) & mask
}

fn v6(segments: [u16; 8]) -> Ipv6Addr {
    let [a, b, c, d, e, f, g, h] = segments;
    Ipv6Addr::new(a, b, c, d, e, f, g, h)
}

/// The IPv4 address in the low 32 bits.
fn low_v4(ip: Ipv6Addr) -> Ipv4Addr {
    Ipv4Addr::from((u128::from(ip) & 0xffff_ffff) as u32)
}

fn forbidden_v6(ip: Ipv6Addr) -> Option<&'static str> {
    if ip.is_unspecified() {
        return Some("an unspecified address");
    }
    if ip.is_loopback() {
        return Some("a loopback address");
    }
    let bits = u128::from(ip);
    // ::ffff:a.b.c.d (mapped) reaches the IPv4 address inside.
    if bits >> 32 == 0xffff {
        return forbidden_v4(low_v4(ip));
    }
    // ::a.b.c.d (compatible) is deprecated: refused whatever it holds.
    if bits >> 32 == 0 {
        return Some(forbidden_v4(low_v4(ip)).unwrap_or("an IPv4-compatible IPv6 address"));
    }
    // NAT64 (64:ff9b::/96) reaches the IPv4 address inside.
    if in_v6(ip, v6([0x64, 0xff9b, 0, 0, 0, 0, 0, 0]), 96) {
        return forbidden_v4(low_v4(ip));
    }
    // 6to4 (2002::/16) tunnels to the IPv4 address in bits 16..48.
    if in_v6(ip, v6([0x2002, 0, 0, 0, 0, 0, 0, 0]), 16) {
        let embedded = Ipv4Addr::from(((bits >> 80) & 0xffff_ffff) as u32);
        return forbidden_v4(embedded);
    }
    const RANGES: [([u16; 8], u32, &str); 9] = [
        (
            [0xfc00, 0, 0, 0, 0, 0, 0, 0],
            7,
            "a private (unique local) address",
        ),
        ([0xfe80, 0, 0, 0, 0, 0, 0, 0], 10, "a link-local address"),
        ([0xfec0, 0, 0, 0, 0, 0, 0, 0], 10, "a site-local address"),
        ([0xff00, 0, 0, 0, 0, 0, 0, 0], 8, "a multicast address"),
        (
            [0x64, 0xff9b, 1, 0, 0, 0, 0, 0],
            48,
            "a local NAT64 address",
        ),
        ([0x2001, 0, 0, 0, 0, 0, 0, 0], 32, "a Teredo tunnel address"),
        ([0x2001, 2, 0, 0, 0, 0, 0, 0], 48, "a benchmarking address"),
        (
            [0x2001, 0xdb8, 0, 0, 0, 0, 0, 0],
            32,
            "a documentation address",
        ),
        ([0x3fff, 0, 0, 0, 0, 0, 0, 0], 20, "a documentation address"),
    ];
    if let Some((_, _, why)) = RANGES
        .iter()
        .find(|(network, prefix, _)| in_v6(ip, v6(*network), *prefix))
    {
        return Some(why);
    }
    // Everything outside global unicast is unassigned or special-purpose.
    if !in_v6(ip, v6([0x2000, 0, 0, 0, 0, 0, 0, 0]), 3) {
        return Some("a reserved address");
    }
    None
}

/// Names that mean "this machine" or "this network" whatever DNS says:
/// refused before any lookup, so the message is clear at registration.
const LOCAL_NAMES: [&str; 3] = ["localhost", "ip6-localhost", "ip6-loopback"];
const LOCAL_SUFFIXES: [&str; 5] = [
    ".localhost",
    ".local",
    ".internal",
    ".home.arpa",
    ".localdomain",
];

/// Why a host name may not be fetched from, or `None` when it may (its
/// addresses are still checked when it is resolved).
pub fn forbidden_name(name: &str) -> Option<&'static str> {
    let name = name.trim_end_matches('.').to_ascii_lowercase();
    if LOCAL_NAMES.contains(&name.as_str()) {
        return Some("a name of the local machine");
    }
    if LOCAL_SUFFIXES.iter().any(|suffix| name.ends_with(suffix)) {
        return Some("a name of the local machine or network");
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    fn refused(ip: &str) -> bool {
        forbidden_address(ip.parse().unwrap()).is_some()
    }

    #[test]
    fn private_loopback_link_local_and_special_ipv4_addresses_are_refused() {
        for ip in [
            "127.0.0.1",
            "127.255.0.9",
            "10.0.0.1",
            "10.255.255.255",
            "172.16.0.1",
            "172.31.255.254",
            "192.168.1.1",
            "169.254.169.254",
            "169.254.0.1",
            "100.64.0.1",
            "100.127.255.255",
            "0.0.0.0",
            "0.1.2.3",
            "224.0.0.1",
            "239.255.255.250",
            "255.255.255.255",
            "240.0.0.1",
            "192.0.2.10",
            "198.51.100.7",
            "203.0.113.5",
            "198.18.0.1",
            "192.0.0.8",
        ] {
            assert!(refused(ip), "{ip}");
        }
    }

    #[test]
    fn public_ipv4_addresses_are_allowed() {
        for ip in [
            "8.8.8.8",
            "1.1.1.1",
            "93.184.216.34",
            "172.15.255.255",
            "172.32.0.1",
            "100.63.255.255",
            "100.128.0.1",
            "169.253.255.255",
            "11.0.0.1",
            "223.255.255.254",
        ] {
            assert!(!refused(ip), "{ip}");
        }
    }

    #[test]
    fn ipv6_special_ranges_are_refused() {
        for ip in [
            "::",
            "::1",
            "fc00::1",
            "fd12:3456::1",
            "fe80::1",
            "febf::1",
            "fec0::1",
            "ff02::1",
            "2001:db8::1",
            "2001::1",
            "2001:2::1",
            "3fff::1",
            "100::1",
            "64:ff9b:1::1",
            "4000::1",
        ] {
            assert!(refused(ip), "{ip}");
        }
    }

    #[test]
    fn ipv6_forms_of_ipv4_addresses_are_judged_by_the_ipv4_address() {
        for ip in [
            "::ffff:127.0.0.1",
            "::ffff:7f00:1",
            "::ffff:10.0.0.1",
            "::ffff:169.254.169.254",
            "::ffff:192.168.0.1",
            "::127.0.0.1",
            "::10.0.0.1",
            "64:ff9b::127.0.0.1",
            "64:ff9b::a9fe:a9fe",
            "2002:7f00:1::",
            "2002:a00:1::1",
        ] {
            assert!(refused(ip), "{ip}");
        }
        assert_eq!(
            forbidden_address("::ffff:127.0.0.1".parse().unwrap()),
            Some("a loopback address")
        );
        for ip in ["::ffff:8.8.8.8", "64:ff9b::808:808", "2002:808:808::1"] {
            assert!(!refused(ip), "{ip}");
        }
    }

    #[test]
    fn global_ipv6_addresses_are_allowed() {
        for ip in [
            "2606:4700::1111",
            "2a00:1450:4001:80b::200e",
            "2001:4860::8888",
        ] {
            assert!(!refused(ip), "{ip}");
        }
    }

    #[test]
    fn local_names_are_refused_whatever_their_case() {
        for name in [
            "localhost",
            "LOCALHOST",
            "localhost.",
            "idp.localhost",
            "ip6-localhost",
            "printer.local",
            "metadata.google.internal",
            "router.home.arpa",
            "host.localdomain",
        ] {
            assert!(forbidden_name(name).is_some(), "{name}");
        }
        for name in [
            "idp.example.com",
            "localhost.example.com",
            "mylocal",
            "internal.example",
        ] {
            assert!(forbidden_name(name).is_none(), "{name}");
        }
    }
}
