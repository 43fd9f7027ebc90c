"""Scale-out: the screening of an archive on a Dask cluster (DESIGN.md §8).

``layout`` names the archive files a screening reads and reads them on a worker, ``tasks``
holds the work (plain functions, testable without a cluster), ``engine`` wires it on a
``distributed.Client``. Dask is imported only by ``engine``, and only when a run starts.
"""
