#!/usr/bin/env python3
"""Summarises a dotnet-trace thread-time profile converted to Speedscope (see docs/benchmarks.md, Profiling).

    python3 bench/tools/speedscope-top.py trace.speedscope.json [Analyzer.,Npgsql.,System.Text.Json]

The 'dotnet-sampled-thread-time' profile samples every managed thread, waiting or not. Time whose innermost frame
is a wait (thread pool idle, socket event loop, semaphores, sleeps) is left out; the rest is shown as the share of
that busy time spent in each frame (inclusive) whose name contains one of the given words. Native threads (the
GC's, the JIT's) and time in the kernel are not sampled: compare with the CPU seconds the bench prints.
"""
import collections
import json
import sys

WAITS = ('Wait', 'Sleep', 'LowLevelLifoSemaphore', 'epoll', 'EventLoop', 'WaitForSignal', 'Monitor.', 'SpinWait',
         'WaitForSocketEvents', 'UNMANAGED_CODE_TIME', 'Semaphore', 'WaitOne')


def main():
    if len(sys.argv) < 2:
        print(__doc__)
        return 2
    document = json.load(open(sys.argv[1], encoding='utf-8'))
    words = sys.argv[2].split(',') if len(sys.argv) > 2 else ['Analyzer.']
    frames = [frame['name'] for frame in document['shared']['frames']]
    inclusive = collections.Counter()
    total = busy = 0.0
    for profile in document['profiles']:
        stack, last = [], None
        for event in profile['events']:
            at = event['at']
            if last is not None and stack:
                elapsed = at - last
                total += elapsed
                names = [frames[i] for i in stack]
                if not any(wait in names[-1] for wait in WAITS):
                    busy += elapsed
                    for name in set(names):
                        inclusive[name] += elapsed
            last = at
            if event['type'] == 'O':
                stack.append(event['frame'])
            elif stack:
                stack.pop()
    print(f'sampled thread time {total:.0f} ms, of which busy (not waiting) {busy:.0f} ms')
    if busy == 0:
        return 1
    for name, elapsed in inclusive.most_common():
        share = 100 * elapsed / busy
        if share < 1:
            break
        if any(word in name for word in words) or 'PollGC' in name:
            print(f'{share:5.1f}%  {name[:160]}')
    return 0


if __name__ == '__main__':
    sys.exit(main())
