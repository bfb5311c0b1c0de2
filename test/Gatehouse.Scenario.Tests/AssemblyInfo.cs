// The scenarios start several real processes each and some measure latency: run them one at a time so they do not
// compete for the few cores of a test machine.
[assembly: CollectionBehavior(DisableTestParallelization = true)]
