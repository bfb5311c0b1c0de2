// Every test starts real host processes, some the whole all-in-one: one at a time, so they do not compete for the
// few cores of a test machine and a slow start is never mistaken for a hang.
[assembly: CollectionBehavior(DisableTestParallelization = true)]
