#!/usr/bin/perl
# mkmmdb.pl - write a small GeoIP2-Country or GeoLite2-ASN style MMDB file
#
# usage: mkmmdb.pl [-t country|asn] [-4 | -n] [-e EPOCH] [-r 24|28|32] [-w] -o OUT.mmdb [SPEC...]
#
# Reads a spec (files named on the command line, else stdin), one network
# a line, '#' comments and blank lines ignored:
#
#	CIDR [country=CC] [registered=CC] [continent=CC] [asn=N] [org="Text"]
#
# country / registered / continent become country.iso_code,
# registered_country.iso_code and continent.code; asn and org become
# autonomous_system_number (uint32) and autonomous_system_organization.
# A key that is not given is absent from the record, so fixtures can have
# records without a country, with registered_country only, or without an
# organisation.  The values are written as given (no validation), so a
# fixture may also hold a malformed country code.
#
# The tree: record size 24 (-r: 28 or 32), IPv6 (-4: IPv4) with IPv4 networks at
# ::a.b.c.d and the usual aliases (::ffff:0:0/96, 2002::/16) to them;
# reserved networks are kept (127/8, documentation prefixes are fixtures
# too); -n leaves the aliases out (so a reader that looks up IPv4 as
# ::ffff:a.b.c.d finds nothing - tests use it); a later line replaces what an earlier one set for the same
# addresses (merge_strategy none).  database_type is "GeoIP2-Country"
# (-t country, the default) or "GeoLite2-ASN" (-t asn).  build_epoch is
# now unless -e gives it.  -w writes the wrong types, for the readers'
# type checks: iso_code and autonomous_system_organization as uint32
# (give numbers), autonomous_system_number as a UTF-8 string.
#
# Needs MaxMind::DB::Writer (Debian: libmaxmind-db-writer-perl).  Exits 2
# on a usage or spec error, naming the line.
use strict;
use warnings;
use Getopt::Std;
use open qw(:std :encoding(UTF-8));
use MaxMind::DB::Writer::Tree;

my %opt;
getopts('t:4ne:o:r:w', \%opt) or usage();
usage() unless defined $opt{o};
my $type = $opt{t} // 'country';
my %dbtype = (country => 'GeoIP2-Country', asn => 'GeoLite2-ASN');
usage() unless exists $dbtype{$type};

sub usage {
	print STDERR
	    "usage: mkmmdb.pl [-t country|asn] [-4 | -n] [-e EPOCH] [-r 24|28|32] [-w] -o OUT.mmdb [SPEC...]\n";
	exit 2;
}

my %types = (
	country				=> 'map',
	registered_country		=> 'map',
	continent			=> 'map',
	iso_code			=> 'utf8_string',
	code				=> 'utf8_string',
	autonomous_system_number	=> 'uint32',
	autonomous_system_organization	=> 'utf8_string',
);

if ($opt{w}) {
	$types{iso_code} = 'uint32';
	$types{autonomous_system_organization} = 'uint32';
	$types{autonomous_system_number} = 'utf8_string';
}
my $ipv = $opt{4} ? 4 : 6;
my $rs = $opt{r} // 24;
usage() unless $rs =~ /^(24|28|32)$/;
my $tree = MaxMind::DB::Writer::Tree->new(
	ip_version		=> $ipv,
	record_size		=> $rs,
	database_type		=> $dbtype{$type},
	languages		=> ['en'],
	description		=> { en => "libverdict test fixture ($type)" },
	map_key_type_callback	=> sub { $types{ $_[0] } },
	remove_reserved_networks => 0,
	alias_ipv6_to_ipv4	=> $ipv == 6 && !$opt{n} ? 1 : 0,
	merge_strategy		=> 'none',
);

my $n = 0;
while (my $line = <>) {
	chomp $line;
	$line =~ s/^\s+//;
	next if $line eq '' || $line =~ /^#/;
	my ($cidr, $rest) = split /\s+/, $line, 2;
	$rest //= '';
	my %rec;
	while ($rest =~ /\G\s*(\w+)=(?:"([^"]*)"|(\S+))/gc) {
		my ($k, $v) = ($1, defined $2 ? $2 : $3);
		if ($k eq 'country') {
			$rec{country} = { iso_code => $v };
		} elsif ($k eq 'registered') {
			$rec{registered_country} = { iso_code => $v };
		} elsif ($k eq 'continent') {
			$rec{continent} = { code => $v };
		} elsif ($k eq 'asn') {
			die "$ARGV:$.: bad asn '$v'\n" unless $v =~ /^\d+$/;
			$rec{autonomous_system_number} = $v + 0;
		} elsif ($k eq 'org') {
			$rec{autonomous_system_organization} = $v;
		} else {
			print STDERR "$ARGV:$.: unknown key '$k'\n";
			exit 2;
		}
	}
	if ($rest =~ /\G\s*(\S.*)/gc) {
		print STDERR "$ARGV:$.: cannot parse '$1'\n";
		exit 2;
	}
	$cidr .= $cidr =~ /:/ ? '/128' : '/32' unless $cidr =~ m{/};
	$tree->insert_network($cidr, \%rec);
	$n++;
}

$tree->_set_build_epoch($opt{e}) if defined $opt{e};
open my $fh, '>:raw', $opt{o} or die "$opt{o}: $!\n";
$tree->write_tree($fh);
close $fh or die "$opt{o}: $!\n";
