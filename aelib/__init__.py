"""aelib: the thin library behind the book *Learning by Copying*.

Every reusable piece of the book lives here, one concept per module; the chapters in
``book/`` import it, run experiments at a named profile and explain the results.

Modules (and the chapters that use them):

- :mod:`aelib.profiles`       sizes for the ``smoke``, ``cpu`` and ``paper`` scales (all chapters)
- :mod:`aelib.seeding`        one ``set_seed`` for every experiment (all chapters)
- :mod:`aelib.data`           shipped photos, photo folders, LSUN church, CIFAR-10 (all chapters)
- :mod:`aelib.corruption`     the essay's corruption ``a_hat = alpha*a + (1-alpha)*n`` (01, 02)
- :mod:`aelib.models`         FC autoencoder and U-Nets exposing ``E`` and ``D`` (01, 02)
- :mod:`aelib.training`       one trainer, atomic checkpoints, resume (01, 02)
- :mod:`aelib.cache`          trained models cached under a hash of their configuration (01, 02)
- :mod:`aelib.representation` input representation ``a_g`` by gradient descent on the input (02)
- :mod:`aelib.metrics`        r, g, k, e, PSNR, sliced Wasserstein on pyramid patches (01, 02)
- :mod:`aelib.ledger`         the claims ledger and the claims table of the first page (all)
- :mod:`aelib.figures`        saving and showing figures, image grids (all chapters)
- :mod:`aelib.chapter`        the per-chapter context: profile, data, ledger, figures (all)
- :mod:`aelib.execute`        papermill execution of the chapters and the site build
"""

__version__ = "0.1.0"
