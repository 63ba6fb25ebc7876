#!/usr/bin/perl
# sisimai.pl: prints Sisimai's verdict for each bounce file given, one line per
# recipient: file, recipient, reason, status. Used to cross-check the corpus
# (Debian: apt-get install libsisimai-perl). Run from the repository root:
#   perl testdata/bounce/generate/sisimai.pl testdata/bounce/*.eml testdata/bounce/*.json
use strict;
use warnings;
use Sisimai;

for my $file (@ARGV) {
    my $input = $file;
    my $opts = {};
    if ($file =~ /\.json$/) {
        # Amazon SES notifications are read as JSON objects.
        open my $fh, '<', $file or die "$file: $!";
        local $/;
        my $text = <$fh>;
        require JSON::PP;
        $input = JSON::PP::decode_json($text);
        $input = JSON::PP::decode_json($input->{'Message'}) if ref $input eq 'HASH' && exists $input->{'Message'};
        $opts = { 'input' => 'json' };
    }
    my $v = eval { Sisimai->make($input, %$opts, 'delivered' => 1, 'vacation' => 1) };
    if (!$v || !@$v) {
        printf "%s\t-\t(none)\t-\n", $file;
        next;
    }
    for my $e (@$v) {
        printf "%s\t%s\t%s\t%s\n", $file, $e->recipient->address, $e->reason, ($e->deliverystatus || '-');
    }
}
