import GadgetBuild
print(GadgetcVersion.string)
