package feed

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"syscall"
)

// specialRange is a block of addresses that a feed must not reach by default,
// with the words used to describe it in errors.
type specialRange struct {
	prefix netip.Prefix
	kind   string
}

// blockedRanges are the IANA special-purpose ranges (RFC 6890 and the IPv4 and
// IPv6 Special-Purpose Address Registries) that are not the public Internet.
// Feeds that reach them could read the host's own services, the cloud
// metadata endpoint (169.254.169.254) or the operator's private network.
// IPv4-mapped, NAT64 and 6to4 IPv6 forms are checked through the IPv4
// address they embed (see embeddedIPv4).
var blockedRanges = []specialRange{
	{netip.MustParsePrefix("0.0.0.0/8"), "unspecified"}, // "this network"; 0.0.0.0 dials localhost on Linux
	{netip.MustParsePrefix("10.0.0.0/8"), "private"},
	{netip.MustParsePrefix("100.64.0.0/10"), "carrier-grade NAT"},
	{netip.MustParsePrefix("127.0.0.0/8"), "loopback"},
	{netip.MustParsePrefix("169.254.0.0/16"), "link-local"},
	{netip.MustParsePrefix("172.16.0.0/12"), "private"},
	{netip.MustParsePrefix("192.0.0.0/24"), "reserved"}, // IETF protocol assignments
	{netip.MustParsePrefix("192.0.2.0/24"), "documentation"},
	{netip.MustParsePrefix("192.168.0.0/16"), "private"},
	{netip.MustParsePrefix("198.18.0.0/15"), "reserved"}, // benchmarking
	{netip.MustParsePrefix("198.51.100.0/24"), "documentation"},
	{netip.MustParsePrefix("203.0.113.0/24"), "documentation"},
	{netip.MustParsePrefix("224.0.0.0/4"), "multicast"},
	{netip.MustParsePrefix("240.0.0.0/4"), "reserved"}, // includes 255.255.255.255 broadcast
	{netip.MustParsePrefix("::/128"), "unspecified"},
	{netip.MustParsePrefix("::1/128"), "loopback"},
	{netip.MustParsePrefix("::/96"), "reserved"},    // deprecated IPv4-compatible form
	{netip.MustParsePrefix("100::/64"), "reserved"}, // discard-only
	{netip.MustParsePrefix("2001:db8::/32"), "documentation"},
	{netip.MustParsePrefix("fc00::/7"), "private"}, // unique local
	{netip.MustParsePrefix("fe80::/10"), "link-local"},
	{netip.MustParsePrefix("fec0::/10"), "private"}, // deprecated site-local
	{netip.MustParsePrefix("ff00::/8"), "multicast"},
}

// Prefixes of IPv6 forms that carry an IPv4 address which the packet may
// end up at: NAT64 (RFC 6052, well-known prefix) and 6to4 (RFC 3056).
var (
	nat64Prefix = netip.MustParsePrefix("64:ff9b::/96")
	sixToFour   = netip.MustParsePrefix("2002::/16")
)

// addressPolicy decides which resolved addresses the dialer may connect to.
type addressPolicy struct {
	allowPrivate bool
	allowed      []netip.Prefix
}

// check returns a *BlockedAddressError when addr must not be dialled.
func (p addressPolicy) check(addr netip.Addr) error {
	if p.allowPrivate {
		return nil
	}
	addr = addr.WithZone("")
	for _, pfx := range p.allowed {
		if pfx.Contains(addr) || pfx.Contains(addr.Unmap()) {
			return nil
		}
	}
	if kind := classify(addr); kind != "" {
		return &BlockedAddressError{Addr: addr, Kind: kind}
	}
	return nil
}

// classify names the special-purpose range addr falls in, or returns "" for
// a public address.
func classify(addr netip.Addr) string {
	addr = addr.WithZone("").Unmap()
	if v4, ok := embeddedIPv4(addr); ok {
		return classify(v4)
	}
	for _, r := range blockedRanges {
		if r.prefix.Contains(addr) {
			return r.kind
		}
	}
	return ""
}

// embeddedIPv4 extracts the IPv4 address that a NAT64 or 6to4 address routes
// to, so that 64:ff9b::7f00:1 is seen for the loopback address it is.
func embeddedIPv4(addr netip.Addr) (netip.Addr, bool) {
	if !addr.Is6() {
		return netip.Addr{}, false
	}
	b := addr.As16()
	switch {
	case nat64Prefix.Contains(addr):
		return netip.AddrFrom4([4]byte{b[12], b[13], b[14], b[15]}), true
	case sixToFour.Contains(addr):
		return netip.AddrFrom4([4]byte{b[2], b[3], b[4], b[5]}), true
	}
	return netip.Addr{}, false
}

// control is a net.Dialer.Control hook: it runs after DNS resolution with the
// exact address about to be connected to, so neither a DNS answer nor a
// redirect can lead the fetcher somewhere the policy forbids.
func (p addressPolicy) control(network, address string, _ syscall.RawConn) error {
	ap, err := netip.ParseAddrPort(address)
	if err != nil {
		// Only IP sockets reach here; an unparsable address is refused
		// rather than trusted.
		return fmt.Errorf("dial %s %q: unexpected address form: %w", network, address, err)
	}
	return p.check(ap.Addr())
}

// dialFunc is the shape of net.Dialer.DialContext.
type dialFunc func(ctx context.Context, network, address string) (net.Conn, error)

// lookupFunc is the shape of net.Resolver.LookupNetIP.
type lookupFunc func(ctx context.Context, network, host string) ([]netip.Addr, error)

// dialContext resolves the host itself, skips the addresses the policy
// refuses and dials the others in the resolver's order. So a name with one
// private and one public address still works, a name with only refused
// addresses fails with a *BlockedAddressError and no socket is created for
// them. The dialer's control hook checks the final address again.
func (p addressPolicy) dialContext(dial dialFunc, lookup lookupFunc) dialFunc {
	return func(ctx context.Context, network, address string) (net.Conn, error) {
		host, port, err := net.SplitHostPort(address)
		if err != nil {
			return nil, fmt.Errorf("dial %s %q: %w", network, address, err)
		}
		var addrs []netip.Addr
		if ip, err := netip.ParseAddr(host); err == nil {
			addrs = []netip.Addr{ip}
		} else {
			addrs, err = lookup(ctx, lookupNetwork(network), host)
			if err != nil {
				return nil, err
			}
		}
		var firstErr error
		for _, ip := range addrs {
			if err := p.check(ip); err != nil {
				if firstErr == nil {
					firstErr = &net.OpError{Op: "dial", Net: network, Err: err}
				}
				continue
			}
			conn, err := dial(ctx, network, net.JoinHostPort(ip.Unmap().String(), port))
			if err == nil {
				return conn, nil
			}
			// A failure to connect to an allowed address says more than
			// the refusal of another one.
			if firstErr == nil || errors.Is(firstErr, ErrBlockedAddress) {
				firstErr = err
			}
			if ctx.Err() != nil {
				break
			}
		}
		if firstErr == nil {
			return nil, &net.DNSError{Err: "no addresses", Name: host, IsNotFound: true}
		}
		return nil, firstErr
	}
}

// lookupNetwork maps a dial network to the address family to resolve.
func lookupNetwork(network string) string {
	switch network {
	case "tcp4", "udp4":
		return "ip4"
	case "tcp6", "udp6":
		return "ip6"
	}
	return "ip"
}
