"""aelib: the thin library behind the book *Learning by Copying*.

Every reusable piece of the book lives here, one concept per module; the chapters in
``book/`` import it, run experiments at a named profile and explain the results.

Modules:

- :mod:`aelib.config`         each concept's settings: a frozen dataclass whose defaults are the ``cpu`` scale,
                              with what differs at ``smoke`` and ``paper`` beside it (one module per concept)
- :mod:`aelib.profiles`       the sections assembled into the ``smoke``, ``cpu`` and ``paper`` profiles
                              (``P.walk.steps``), dotted overrides, every field checked
- :mod:`aelib.paths`          where state lives (``$AELIB_HOME``), relative paths made absolute, file locks
- :mod:`aelib.identity`       the identity of a run (profile, data bytes, threads, library) and a chapter's key
- :mod:`aelib.seeding`        one ``set_seed`` for a process, and named random streams (a hash of a name and keys)
- :mod:`aelib.data`           shipped photos, photo folders, LSUN church, CIFAR-10, scikit-learn's digits
- :mod:`aelib.corruption`     the essay's corruption ``a_hat = alpha*a + (1-alpha)*n`` and its zero-mean control
- :mod:`aelib.models`         the registry of model kinds (each with its own parameters) and ``build``; FC
                              autoencoder, U-Nets and a simplified MLP exposing ``E`` and ``D``
- :mod:`aelib.modes`          train or eval mode for a ``with`` block, the model's own mode restored
- :mod:`aelib.training`       one trainer (DDP under torchrun, bf16 on GPUs), atomic checkpoints, resume
- :mod:`aelib.cache`          trained models cached under a hash of their configuration
- :mod:`aelib.representation` input representation ``a_g`` by gradient descent on the input
- :mod:`aelib.evaluation`     one representation descent, measured (``e``, ``e0``) and gated
- :mod:`aelib.metrics`        r, g, k, e, sliced Wasserstein on pyramid patches, spread, high-frequency
                              energy, AUC separation
- :mod:`aelib.nearest`        each image's nearest image in a pool, by L2 distance or pixel correlation
- :mod:`aelib.gaussianity`    normality of pooled deviations, Lyapunov's ratio and its log-log slope
- :mod:`aelib.walk`           the manifold walk ``h <- E(g) + N(0, eps), g <- D(h)`` and "still walking"
- :mod:`aelib.sampler`        diffusion with no diffusion: ``a_{n+1} = c_n O(a_n) + d_n N(0.7, 0.2)``
- :mod:`aelib.compute`        FLOPs of a training step (any loss) and of sampling, for compute budgets
- :mod:`aelib.batchnorm`      BatchNorm statistics per group / running, output image statistics, the blur
                              test
- :mod:`aelib.attention`      efficient (Shen et al. 2021) and dot-product attention, the attention U-Net
                              and single-attention autoencoders, common-noise evaluation
- :mod:`aelib.memorization`   copying vs memorizing vs generalizing: the single-example test, disjoint
                              halves by photo, the two-denoiser ladder
- :mod:`aelib.dynamics`       iterates of ``O``, Jacobian spectral radius by power iteration with
                              ``torch.func.jvp``, attractors
- :mod:`aelib.diffusion`      the DDPM baseline: a time-conditioned U-Net, its eps / x_0 losses, DDIM sampling
                              through diffusers' schedulers
- :mod:`aelib.claims`         the claim registry: statement, measure, threshold, control and gates of every claim
- :mod:`aelib.gates`          validity gates: a model works, was trained to the stopping rule, a descent moved
- :mod:`aelib.verdict`        a claim's per-seed measurement and its three-valued verdict
- :mod:`aelib.ledger`         the claims ledger and the claims table of the first page
- :mod:`aelib.report`         a verdict record read for prose: verdict and reason texts, per-seed medians,
                              ranges, tables for reading
- :mod:`aelib.names`          what a reader calls each model (the words for ``unet_skips`` and the like)
- :mod:`aelib.figures`        saving figures, image grids, shared plots, the offline player of recorded runs
- :mod:`aelib.page`           how an executed chapter shows on its page: folded code, what a page must not show
- :mod:`aelib.site`           the site's generated parts: chapter-to-module map, repository, build record
- :mod:`aelib.chapter`        the per-chapter context: profile, data, ledger, figures, one call per claim
- :mod:`aelib.distributed`    torchrun process groups, per-rank batch slices (paper runs)
- :mod:`aelib.train`          ``python -m aelib.train``: train the shared models ahead of the chapters
- :mod:`aelib.execute`        papermill execution of the chapters and the site build
- :mod:`aelib.sphinx_ext`     ``jupyter-book build book`` as typed: stale chapters executed before Sphinx reads them
"""

__version__ = "0.1.0"
