#!/usr/bin/perl
# The debhelper add-on of synccluster modules: `dh $@ --with sc`, or
# `Build-Depends: dh-sequence-sc` (synccluster-dev provides it). It runs
# dh_sc before dh_gencontrol, which fills ${sc:Depends}.

use strict;
use warnings;

insert_before('dh_gencontrol', 'dh_sc');

1;
