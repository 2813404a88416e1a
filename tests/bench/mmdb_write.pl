#!/usr/bin/perl
# mmdb_write.pl - write the benchmark's block list as an MMDB
#
# Usage: perl mmdb_write.pl IN.txt OUT.mmdb
#
# Reads "CIDR ; REASON" lines (bench_gen's block.txt), inserts every
# network with data { reason => REASON } into a MaxMind::DB::Writer::Tree
# (ip_version 6, record_size 28, reserved networks kept, no aliases: IPv4
# lives at ::a.b.c.d, where MMDB_lookup_string looks), less specific first so that a nested network
# overwrites its part of the covering one (merge_strategy none), and
# writes OUT.mmdb.  Prints "mmdb_write: N networks, S s" on stderr.
use strict;
use warnings;
use MaxMind::DB::Writer::Tree;
use Time::HiRes qw(time);

my ($in, $out) = @ARGV;
die "usage: mmdb_write.pl IN.txt OUT.mmdb\n" unless defined $out;
my $t0 = time;
open(my $fh, '<', $in) or die "mmdb_write: $in: $!\n";
my @nets;
while (my $l = <$fh>) {
	next unless $l =~ m{^(\S+)/(\d+)\s*;\s*(\S+)};
	push @nets, [$1, $2, $3];
}
close $fh;
@nets = sort { $a->[1] <=> $b->[1] } @nets;	# stable: less specific first
# IPv4 prefixes live in the 128-bit tree at length + 96.
my $tree = MaxMind::DB::Writer::Tree->new(
	ip_version => 6,
	record_size => 28,
	database_type => 'verdict-bench',
	languages => ['en'],
	description => { en => 'libverdict benchmark block list' },
	remove_reserved_networks => 0,
	alias_ipv6_to_ipv4 => 0,	# 2002::/16 would be an alias: lists use it
	merge_strategy => 'none',
	map_key_type_callback => sub { 'utf8_string' },
);
my @v4 = grep { $_->[0] !~ /:/ } @nets;
my @v6 = grep { $_->[0] =~ /:/ } @nets;
# IPv4 /n is ::a.b.c.d/(96+n): interleave the families by tree depth.
my @all = sort { (($a->[0] =~ /:/) ? $a->[1] : $a->[1] + 96) <=>
		 (($b->[0] =~ /:/) ? $b->[1] : $b->[1] + 96) } @nets;
for my $n (@all) {
	$tree->insert_network("$n->[0]/$n->[1]", { reason => $n->[2] });
}
open(my $oh, '>:raw', $out) or die "mmdb_write: $out: $!\n";
$tree->write_tree($oh);
close $oh or die "mmdb_write: $out: $!\n";
printf STDERR "mmdb_write: %d networks (%d IPv4, %d IPv6), %.1f s\n",
	scalar(@all), scalar(@v4), scalar(@v6), time - $t0;
