//! Lowering of `network { egress … }`: the destinations outbound traffic is restricted to.

use super::Lowerer;
use super::entries::{argument, name_span, property};
use super::overlay::Tree;
use crate::model::{Egress, EgressProtocol};
use crate::source::Spanned;

impl Lowerer<'_> {
    /// Every `egress` child of the `network` block, in file order; none allows all outbound
    /// traffic.
    pub(super) fn egress(&mut self, network: Option<&Tree<'_>>) -> Vec<Egress> {
        let Some(network) = network else {
            return Vec::new();
        };
        let nodes: Vec<_> = network
            .children_named("egress")
            .map(|tree| tree.node)
            .collect();
        nodes
            .into_iter()
            .filter_map(|node| {
                let cidr = self.text(argument(node, 0))?;
                if let Err(reason) = check_ipv4_cidr(&cidr.value) {
                    self.invalid(
                        cidr.span,
                        format!("`{}` is not an IPv4 CIDR block: {reason}", cidr.value),
                        "not a CIDR block",
                        "write an address and a prefix length, e.g. `10.0.0.0/8`, or `0.0.0.0/0` for anywhere",
                    );
                    return None;
                }
                let protocol = match self
                    .text(property(node, "protocol"))
                    .as_ref()
                    .map(|protocol| protocol.value.as_str())
                {
                    Some("udp") => EgressProtocol::Udp,
                    Some("all") => EgressProtocol::All,
                    _ => EgressProtocol::Tcp,
                };
                let ports = self.scalar(property(node, "port")).and_then(|port| {
                    match parse_ports(&port.value) {
                        Ok(range) => Some(Spanned::new(range, port.span)),
                        Err(reason) => {
                            self.invalid(
                                port.span,
                                format!("`{}` is not a port or port range: {reason}", port.value),
                                "not a port",
                                "write a port from 1 to 65535 (`port=5432`) or a range (`port=\"8000-8100\"`)",
                            );
                            None
                        }
                    }
                });
                if let (EgressProtocol::All, Some(ports)) = (protocol, &ports) {
                    self.invalid(
                        ports.span,
                        "`protocol=\"all\"` reaches every port, so it takes no `port`".to_owned(),
                        "with every protocol",
                        "remove `port`, or choose `protocol=\"tcp\"` or `\"udp\"`",
                    );
                }
                Some(Egress {
                    cidr,
                    protocol,
                    ports,
                    span: name_span(node),
                })
            })
            .collect()
    }
}

/// Checks an IPv4 CIDR block: four octets and a prefix length from 0 to 32, with no host bits set.
fn check_ipv4_cidr(text: &str) -> Result<(), String> {
    let (address, prefix) = text
        .split_once('/')
        .ok_or_else(|| "it has no `/` prefix length".to_owned())?;
    let octets: Vec<u8> = address
        .split('.')
        .map(str::parse::<u8>)
        .collect::<Result<_, _>>()
        .map_err(|_| "the address is not four numbers from 0 to 255".to_owned())?;
    let [a, b, c, d] = octets[..] else {
        return Err("the address is not four numbers from 0 to 255".to_owned());
    };
    let prefix: u32 = prefix
        .parse()
        .ok()
        .filter(|prefix| *prefix <= 32)
        .ok_or_else(|| "the prefix length is not a number from 0 to 32".to_owned())?;
    let address = u32::from_be_bytes([a, b, c, d]);
    let host_bits = address.checked_shl(prefix).unwrap_or(0);
    if host_bits != 0 {
        return Err(format!("bits past the first {prefix} are set"));
    }
    Ok(())
}

/// Parses `5432` or `8000-8100` into the first and last port.
fn parse_ports(text: &str) -> Result<(u16, u16), String> {
    let port = |part: &str| {
        part.trim()
            .parse::<u16>()
            .ok()
            .filter(|port| *port > 0)
            .ok_or_else(|| format!("`{}` is not a port from 1 to 65535", part.trim()))
    };
    let (first, last) = if let Some((first, last)) = text.split_once('-') {
        (port(first)?, port(last)?)
    } else {
        let only = port(text)?;
        (only, only)
    };
    if first > last {
        return Err(format!("the range runs backwards ({first} > {last})"));
    }
    Ok((first, last))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cidr_blocks_and_port_ranges_are_checked() {
        assert!(check_ipv4_cidr("10.0.0.0/8").is_ok());
        assert!(check_ipv4_cidr("0.0.0.0/0").is_ok());
        assert!(check_ipv4_cidr("203.0.113.7/32").is_ok());
        assert!(check_ipv4_cidr("10.0.0.1/8").is_err(), "host bits set");
        assert!(check_ipv4_cidr("10.0.0.0").is_err());
        assert!(check_ipv4_cidr("10.0.0/8").is_err());
        assert!(check_ipv4_cidr("10.0.0.0/33").is_err());
        assert_eq!(parse_ports("5432"), Ok((5432, 5432)));
        assert_eq!(parse_ports("8000-8100"), Ok((8000, 8100)));
        assert!(parse_ports("0").is_err());
        assert!(parse_ports("9000-8000").is_err());
        assert!(parse_ports("http").is_err());
    }
}
