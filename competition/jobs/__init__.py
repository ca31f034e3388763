"""Long print runs and big exports as background jobs: the job and its file in the
database (``models``), the kinds of job the stages register (``registry``), starting a job
once the request commits (``queue``), running it (``runner``, in ``flask jobs worker`` on
Redis, or a thread of the app), and its pages (``views``).
"""
