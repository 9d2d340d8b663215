"""Running one piece of work on several threads released at the same moment."""

import threading


def run_at_once(work, n=8):
    """Call work(i) for i in range(n), each on its own thread, all started together by a
    barrier; returns the results in order and re-raises the first exception any thread hit."""
    barrier, results, errors = threading.Barrier(n), [None] * n, []

    def go(i):
        try:
            barrier.wait()
            results[i] = work(i)
        except BaseException as e:  # noqa: BLE001  (handed to the calling thread)
            errors.append(e)

    threads = [threading.Thread(target=go, args=(i,)) for i in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    if errors:
        raise errors[0]
    return results
