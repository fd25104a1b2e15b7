#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Checks the manual pages under man/:
#  - every public function of libacall/include/acall.h (exported prototype
#    or static inline helper) has man/man3/<name>.3, so that a function
#    added to the header without a page fails here;
#  - every page renders with groff -ww (all warnings) and no warning, and,
#    when mandoc is installed, passes its lint at warning level.
# Exits non-zero, naming each problem, if any check fails.
set -euo pipefail
cd "$(dirname "$0")/.."

header=libacall/include/acall.h
mandir="man"
failed=0

# Without groff nothing could be rendered, and every page would "fail".
for tool in groff perl; do
	command -v "$tool" >/dev/null || { echo "man-check: $tool is needed" >&2; exit 1; }
done

fail() {
	echo "man-check: $*" >&2
	failed=1
}

# The names of the header's functions, one a line. The header is read as C
# rather than line by line, so a prototype may span several lines: comments
# and preprocessor lines go, the extern "C" wrapper of C++ goes with them,
# and then each top-level declaration (up to ';') or definition head (up to
# '{') is one unit; a unit with a parameter list whose name is not a
# pointer declarator "(*name)" declares a function. Structure bodies are
# skipped by brace depth, so their members are never taken for prototypes.
public_functions() {
	perl -0777 -ne '
		s{/\*.*?\*/}{ }gs;			# block comments
		s{//[^\n]*}{}g;				# line comments
		s{^[ \t]*#[ \t]*ifdef[ \t]+__cplusplus\b.*?^[ \t]*#[ \t]*endif[^\n]*}{}gms;
		s{^[ \t]*#(?:[^\n]*\\\n)*[^\n]*}{}gm;	# directives, continued too
		s{__attribute__\s*\(\((?:[^()]|\((?:[^()]|\([^()]*\))*\))*\)\)}{ }g;
		my ($depth, $unit) = (0, "");
		for my $c (split //) {
			if ($c eq "{") {
				unit($unit) if $depth == 0;
				$unit = "";
				$depth++;
			} elsif ($c eq "}") {
				$depth-- if $depth > 0;
				$unit = "";
			} elsif ($depth == 0 && $c eq ";") {
				unit($unit);
				$unit = "";
			} elsif ($depth == 0) {
				$unit .= $c;
			}
		}
		sub unit {
			my $u = shift;
			$u =~ s/\s+/ /g;
			return if $u =~ /^\s*typedef\b/;
			# A return type, then the name just before the first
			# "(", which does not open a "(*name)" declarator.
			print "$1\n" if $u =~ /^[^(]*\w[^(]*?\b([A-Za-z_]\w*)\s*\((?!\s*\*)/;
		}
	' "$header" | sort -u
}

# (a) A page for every public function.
funcs=$(public_functions)
nfuncs=$(wc -l <<<"$funcs")
if [[ -z $funcs ]]; then
	fail "no function found in $header: the extraction is broken"
	nfuncs=0
fi
for f in $funcs; do
	[[ -f $mandir/man3/$f.3 ]] || fail "$f() has no page: $mandir/man3/$f.3 is missing"
done

# (b) Every page renders without a warning. A ".so man3/x.3" link page is
# resolved from $mandir, as man(1) resolves it from the top of its tree.
mapfile -t pages < <(cd "$mandir" && find . -type f -name '*.[0-9]' | sed 's|^\./||' | sort)
if [[ ${#pages[@]} -eq 0 ]]; then
	fail "no page under $mandir/"
fi
have_mandoc=0
command -v mandoc >/dev/null && have_mandoc=1
for p in "${pages[@]}"; do
	so=$(sed -n 's/^\.so[ \t]\{1,\}//p' "$mandir/$p")
	if [[ -n $so && ! -f $mandir/$so ]]; then
		fail "$p: links to $so, which does not exist"
		continue
	fi
	# groff reports a missing file or macro only as a warning or an
	# error on stderr, often with status 0: any output is a failure.
	rc=0
	out=$(cd "$mandir" && groff -ww -man -Tutf8 -z "$p" 2>&1) || rc=$?
	[[ -z $out && $rc == 0 ]] || fail "$p: groff -ww (status $rc):"$'\n'"$out"
	# mandoc flags every ".so" link page as fragile (it prefers hard
	# links); the page it names is linted on its own.
	if ((have_mandoc)) && [[ -z $so ]]; then
		rc=0
		out=$(cd "$mandir" && mandoc -T lint -W warning "$p" 2>&1) || rc=$?
		[[ -z $out && $rc == 0 ]] || fail "$p: mandoc -T lint (status $rc):"$'\n'"$out"
	fi
done

if ((failed)); then
	echo "man-check: FAILED" >&2
	exit 1
fi
lint="groff -ww"
((have_mandoc)) && lint+=" and mandoc lint"
echo "man-check: $nfuncs public functions all have a page; ${#pages[@]} pages pass $lint"
